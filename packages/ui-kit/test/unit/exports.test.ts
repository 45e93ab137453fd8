import * as kit from '@alga/ui-kit';
import { expect, test } from 'vitest';

test('the public value exports are exactly these', () => {
  expect(Object.keys(kit).sort()).toMatchInlineSnapshot(`
    [
      "Alert",
      "Badge",
      "Button",
      "Card",
      "Checkbox",
      "Dialog",
      "DialogTrigger",
      "EmptyState",
      "ExtensionSettingsForm",
      "IconButton",
      "NumberField",
      "Select",
      "SettingsError",
      "SettingsErrorCode",
      "Spinner",
      "Switch",
      "Table",
      "Tabs",
      "TextField",
      "ThemeProvider",
      "ToastRegion",
      "createSettingsHttpClient",
      "createToastQueue",
      "useTheme",
    ]
  `);
});

test('the settings error codes are exactly these (codes are API)', () => {
  expect(Object.values(kit.SettingsErrorCode)).toMatchInlineSnapshot(`
    [
      "VALIDATION_FAILED",
      "NOT_FOUND",
      "FORBIDDEN",
      "CONFLICT",
      "HTTP_ERROR",
      "NETWORK_ERROR",
      "INVALID_RESPONSE",
    ]
  `);
});
