import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, safeParseManifest } from '../src/index.js';
import { fullManifest, invalidFixtures, minimalManifest, validFixtures } from './fixtures.js';

describe('parseManifest on valid manifests', () => {
  it.each(validFixtures)('accepts $name', ({ manifest }) => {
    const result = safeParseManifest(manifest);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it('applies the defaults of a minimal manifest', () => {
    expect(parseManifest(minimalManifest)).toEqual({
      ...minimalManifest,
      entry: 'dist/component.wasm',
      capabilities: [],
      http: { allow: [], allowPrivateNetworks: false },
      api: { endpoints: [] },
      settings: [],
    });
  });

  it('keeps every field of the full manifest and fills nested defaults', () => {
    const manifest = parseManifest(fullManifest);
    expect(manifest.name).toBe('com.example.hello');
    expect(manifest.http).toEqual({ allow: fullManifest.http.allow, allowPrivateNetworks: false });
    expect(manifest.api.endpoints).toEqual(fullManifest.api.endpoints);
    expect(manifest.ui?.hooks).toEqual(fullManifest.ui.hooks);
    expect(manifest.settings.map((field) => [field.key, field.required])).toEqual([
      ['greeting', false],
      ['limit', false],
      ['mode', true],
      ['enabled', false],
      ['apiKey', true],
    ]);
    expect(manifest.settings[0]).toEqual({
      key: 'greeting',
      kind: 'text',
      label: 'Greeting',
      default: 'Hello',
      required: false,
      multiline: false,
    });
    expect(manifest.precompiled?.toolchain).toEqual({
      'componentize-js': '0.23.0',
      '@bytecodealliance/jco': '1.35.0',
    });
  });

  it('gives each parse its own default arrays', () => {
    const a = parseManifest(minimalManifest);
    a.capabilities.push('cap:log.emit');
    a.http.allow.push('api.example.com');
    const b = parseManifest(minimalManifest);
    expect(b.capabilities).toEqual([]);
    expect(b.http.allow).toEqual([]);
  });
});

describe('parseManifest on invalid manifests', () => {
  it('has at least 30 invalid fixtures', () => {
    expect(invalidFixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(invalidFixtures)('reports $name', ({ manifest, issues }) => {
    const result = safeParseManifest(manifest);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.code).toBe('MANIFEST_INVALID');
    expect(result.error.issues).toEqual(issues);
  });

  it('throws a ManifestError whose message lists every issue with its path', () => {
    const fixture = invalidFixtures.find((f) => f.name.startsWith('many problems'))!;
    let thrown: unknown;
    try {
      parseManifest(fixture.manifest, { source: 'hello/manifest.json' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ManifestError);
    expect((thrown as ManifestError).name).toBe('ManifestError');
    expect((thrown as ManifestError).message).toBe(
      [
        'Invalid manifest hello/manifest.json (7 problems):',
        "  name: must be lower-case ('hello')",
        '  version: must be a semver version such as 1.2.0',
        "  capabilities[0]: unknown capability 'cap:metircs.emit' (did you mean 'cap:metrics.emit'?)",
        "  api.endpoints[0].path: '*' is only allowed as the last segment",
        "  api.endpoints[0].handlr: unknown field (did you mean 'handler'?)",
        '  settings[0].default: must not be set: secret settings have no default, each install sets its own value',
        "  setings: unknown field (did you mean 'settings'?)",
      ].join('\n'),
    );
  });

  it('names the whole manifest as (manifest) in the message', () => {
    expect(() => parseManifest(null)).toThrow(
      'Invalid manifest (1 problem):\n  (manifest): must be an object (got null)',
    );
  });

  it('quotes odd keys in paths and caps the number of issues', () => {
    const manifest: Record<string, unknown> = { ...minimalManifest };
    for (let i = 0; i < 150; i++) manifest[`x-${i}`] = i;
    const result = safeParseManifest(manifest);
    if (result.success) throw new Error('expected a failure');
    expect(result.error.issues).toHaveLength(101);
    expect(result.error.issues[0]).toEqual({ path: '["x-0"]', message: 'unknown field' });
    expect(result.error.issues[100]).toEqual({
      path: '',
      message: 'and 50 more problems not listed',
    });
  });

  it('reports a __proto__ key from JSON text as an unknown field, without touching prototypes', () => {
    const text = JSON.stringify({ ...minimalManifest, name: true }).replace(
      /^\{/,
      '{"__proto__": {"polluted": true}, ',
    );
    const result = safeParseManifest(text);
    if (result.success) throw new Error('expected a failure');
    expect(result.error.issues).toEqual([
      { path: '__proto__', message: 'unknown field' },
      { path: 'name', message: 'must be a string (got a boolean)' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never echoes a secret default back in messages', () => {
    const fixture = invalidFixtures.find((f) => f.name === 'secret with a default')!;
    const result = safeParseManifest(fixture.manifest);
    if (result.success) throw new Error('expected a failure');
    expect(result.error.message).not.toContain('sk-live-123');
    expect(JSON.stringify(result.error.issues)).not.toContain('sk-live-123');
  });
});

describe('parseManifest on text and bytes', () => {
  const text = JSON.stringify(minimalManifest);

  it('parses JSON text and UTF-8 bytes, with or without a byte-order mark', () => {
    expect(parseManifest(text).name).toBe('com.example.minimal');
    expect(parseManifest(new TextEncoder().encode(text)).name).toBe('com.example.minimal');
    expect(parseManifest(`\ufeff${text}`).name).toBe('com.example.minimal');
  });

  it('rejects text that is not JSON with MANIFEST_NOT_JSON and the parser error as cause', () => {
    const result = safeParseManifest('{"name": ', { source: 'manifest.json' });
    if (result.success) throw new Error('expected a failure');
    expect(result.error.code).toBe('MANIFEST_NOT_JSON');
    expect(result.error.message).toMatch(/^The manifest manifest.json is not valid JSON: /);
    expect(result.error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects bytes that are not UTF-8', () => {
    const result = safeParseManifest(new Uint8Array([0x7b, 0xff, 0x7d]));
    if (result.success) throw new Error('expected a failure');
    expect(result.error.code).toBe('MANIFEST_NOT_JSON');
    expect(result.error.message).toBe('The manifest is not UTF-8 text.');
  });

  it('rejects input over the byte limit with MANIFEST_TOO_LARGE before parsing it', () => {
    const result = safeParseManifest(text, { maxBytes: 10 });
    if (result.success) throw new Error('expected a failure');
    expect(result.error.code).toBe('MANIFEST_TOO_LARGE');
    expect(result.error.message).toBe(
      `The manifest is ${text.length} bytes, over the 10-byte limit: keep the manifest small and put assets in the bundle.`,
    );
  });
});
