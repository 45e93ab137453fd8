import * as runtime from '@alga/runtime';
import * as guest from '@alga/runtime/guest';
import { expect, it } from 'vitest';

it('exports exactly the public API', () => {
  expect(Object.keys(runtime).sort()).toMatchInlineSnapshot(`
    [
      "AlgaRequest",
      "CapabilityError",
      "CapabilityErrorCode",
      "FetchResponse",
      "HandlerError",
      "HandlerErrorCode",
      "createHandler",
      "error",
      "json",
      "text",
    ]
  `);
  expect(Object.keys(guest).sort()).toMatchInlineSnapshot(`
    [
      "bindHandler",
    ]
  `);
});
