import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import type { Manifest } from '../src/index.js';
import * as api from '../src/index.js';
import type { manifestSchema } from '../src/schema.js';

describe('@alga/manifest public API', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "CAPABILITIES",
        "CAPABILITY_IDS",
        "DEFAULT_GRANTS",
        "DEFAULT_MAX_MANIFEST_BYTES",
        "HTTP_METHODS",
        "ManifestError",
        "ManifestErrorCode",
        "RUNTIMES",
        "SETTING_KINDS",
        "defaultSettings",
        "isCapabilityId",
        "manifestJsonSchema",
        "matchEndpoint",
        "parseManifest",
        "safeParseManifest",
        "secretSettingKeys",
      ]
    `);
  });

  it('declares the codes as a closed object', () => {
    expect(api.ManifestErrorCode).toEqual({
      INVALID: 'MANIFEST_INVALID',
      NOT_JSON: 'MANIFEST_NOT_JSON',
      TOO_LARGE: 'MANIFEST_TOO_LARGE',
    });
  });

  it('keeps the documented Manifest type equal to what the schema outputs', () => {
    expectTypeOf<z.output<typeof manifestSchema>>().toEqualTypeOf<Manifest>();
  });

  it('keeps the catalog ids and default grants', () => {
    expect(api.CAPABILITY_IDS).toEqual([
      'cap:context.read',
      'cap:log.emit',
      'cap:config.read',
      'cap:secrets.get',
      'cap:http.fetch',
      'cap:storage.kv',
      'cap:metrics.emit',
      'cap:ui_proxy',
    ]);
    expect(api.DEFAULT_GRANTS).toEqual(['cap:context.read', 'cap:log.emit']);
    expect(api.isCapabilityId('cap:http.fetch')).toBe(true);
    expect(api.isCapabilityId('toString')).toBe(false);
  });
});
