import * as sdk from '@alga/iframe-sdk';
import { expect, test } from 'vitest';

test('the public value exports are exactly these', () => {
  expect(Object.keys(sdk).sort()).toMatchInlineSnapshot(`
    [
      "BridgeError",
      "BridgeErrorCode",
      "DARK_THEME",
      "LIGHT_THEME",
      "SDK_VERSION",
      "applyTheme",
      "bootstrapIframe",
      "buildExtUiSrc",
      "createBridge",
      "isBridgeError",
      "resolveTheme",
      "themeToCssVariables",
    ]
  `);
});

test('the error codes are exactly these (codes are API)', () => {
  expect(Object.values(sdk.BridgeErrorCode)).toMatchInlineSnapshot(`
    [
      "TIMEOUT",
      "CONNECTION_LOST",
      "ORIGIN_MISMATCH",
      "METHOD_NOT_FOUND",
      "HANDSHAKE_FAILED",
      "REMOTE_ERROR",
      "DESTROYED",
      "INVALID_ARGUMENT",
      "UNSAFE_SANDBOX",
      "PROXY_ERROR",
      "SESSION_UNAVAILABLE",
    ]
  `);
});
