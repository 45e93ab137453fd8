/**
 * Manifest fixtures shared by the zod tests and the JSON Schema tests, so both validators
 * are held to the same good and bad inputs.
 */

/** Every feature at once: the agreed example of the cross-module contract. */
export const fullManifest = {
  $schema: './node_modules/@alga/manifest/manifest.schema.json',
  name: 'com.example.hello',
  publisher: 'example',
  version: '1.0.0',
  displayName: 'Hello',
  description: 'Says hello to every ticket.',
  icon: 'ui/icon.svg',
  homepage: 'https://example.com',
  license: 'MIT',
  runtime: 'wasm-js@1',
  entry: 'dist/component.wasm',
  capabilities: ['cap:context.read', 'cap:log.emit', 'cap:secrets.get', 'cap:http.fetch'],
  http: { allow: ['api.example.com', '*.example.org', 'api.example.com:8443'] },
  api: {
    endpoints: [
      { method: 'GET', path: '/items/:id', handler: 'getItem', description: 'One item.' },
      { method: 'POST', path: '/items', handler: 'createItem' },
      { method: 'GET', path: '/files/*', handler: 'getFile' },
    ],
  },
  ui: {
    iframe: {
      entry: 'ui/index.html',
      title: 'Hello',
      sizes: { height: 400, minHeight: 200, maxHeight: 800 },
    },
    hooks: [
      { type: 'appMenu', label: 'Hello', path: '/' },
      { type: 'tab', label: 'Hello', path: '/tab' },
      { type: 'placeholder', slot: 'ticket.sidebar', label: 'Hello', path: '/side' },
    ],
  },
  settings: [
    { key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello' },
    { key: 'limit', kind: 'number', label: 'Limit', min: 1, max: 100, default: 10 },
    {
      key: 'mode',
      kind: 'select',
      label: 'Mode',
      options: [{ value: 'a', label: 'A' }],
      required: true,
    },
    { key: 'enabled', kind: 'boolean', label: 'Enabled', default: true },
    { key: 'apiKey', kind: 'secret', label: 'API key', required: true },
  ],
  assets: { ui: 'ui' },
  precompiled: {
    component: { digest: `sha256:${'ab'.repeat(32)}`, size: 12_345_678 },
    ui: { files: 3, size: 20_480 },
    toolchain: { 'componentize-js': '0.23.0', '@bytecodealliance/jco': '1.35.0' },
  },
};

/** The fewest fields a manifest can have. */
export const minimalManifest = {
  name: 'com.example.minimal',
  publisher: 'example',
  version: '0.1.0',
  runtime: 'wasm-js@1',
};

type Json = Record<string, unknown>;

function edit(base: Json, change: (m: Json & typeof fullManifest) => void): Json {
  const copy = structuredClone(base) as Json & typeof fullManifest;
  change(copy);
  return copy;
}

/** A valid manifest, named for the feature it shows. */
export interface ValidFixture {
  readonly name: string;
  readonly manifest: unknown;
}

export const validFixtures: readonly ValidFixture[] = [
  { name: 'every feature', manifest: fullManifest },
  { name: 'the minimum', manifest: minimalManifest },
  { name: 'scoped name', manifest: { ...minimalManifest, name: '@acme/hello-world' } },
  {
    name: 'prerelease and build version',
    manifest: { ...minimalManifest, version: '2.0.0-rc.1+build.5' },
  },
  {
    name: 'public IP literals and IPv6',
    manifest: {
      ...minimalManifest,
      capabilities: ['cap:http.fetch'],
      http: {
        allow: [
          '93.184.215.14',
          '8.8.8.8:853',
          '[2606:4700::6810:84e5]',
          '[2606:4700::6810:84e5]:443',
        ],
      },
    },
  },
  {
    name: 'private networks when allowed',
    manifest: {
      ...minimalManifest,
      capabilities: ['cap:http.fetch'],
      http: {
        allow: ['10.0.0.5', '192.168.1.10:8080', 'localhost:3000', '[::1]', '[fd00::1]'],
        allowPrivateNetworks: true,
      },
    },
  },
  {
    name: 'endpoints of every method, params and a root wildcard',
    manifest: {
      ...minimalManifest,
      api: {
        endpoints: [
          { method: 'GET', path: '/' },
          { method: 'HEAD', path: '/items/:id' },
          { method: 'PUT', path: '/items/:id' },
          { method: 'PATCH', path: '/items/:id' },
          { method: 'DELETE', path: '/items/:id/tags/:tag' },
          { method: 'OPTIONS', path: '/*' },
          { method: 'POST', path: '/v1.2/upload~raw/@me' },
        ],
      },
    },
  },
  {
    name: 'settings without defaults and a multi-line text',
    manifest: {
      ...minimalManifest,
      settings: [
        { key: 'notes', kind: 'text', label: 'Notes', multiline: true, placeholder: 'Anything' },
        { key: 'ratio', kind: 'number', label: 'Ratio', step: 0.5, description: 'How much.' },
        { key: 'token', kind: 'secret', label: 'Token', placeholder: 'xoxb-…' },
      ],
    },
  },
  {
    name: 'UI without hooks',
    manifest: { ...minimalManifest, ui: { iframe: { entry: 'index.html' } } },
  },
  {
    name: 'precompiled component only',
    manifest: {
      ...minimalManifest,
      precompiled: { component: { digest: `sha256:${'0'.repeat(64)}`, size: 1 } },
    },
  },
];

/** An invalid manifest, with every issue `parseManifest` must report, in order. */
export interface InvalidFixture {
  readonly name: string;
  readonly manifest: unknown;
  readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  /**
   * Set when only a zod refinement can catch the problem: the JSON Schema then accepts the
   * manifest, and the test asserts that too, so the gap stays documented.
   */
  readonly refinementOnly?: string;
}

const PRIVATE_HINT =
  'set http.allowPrivateNetworks to true to allow private, loopback and link-local addresses';

const withHost = (host: string) =>
  edit(fullManifest, (m) => {
    m.http.allow = [host];
  });

export const invalidFixtures: readonly InvalidFixture[] = [
  {
    name: 'not an object',
    manifest: 42,
    issues: [{ path: '', message: 'must be an object (got a number)' }],
  },
  {
    name: 'missing required fields',
    manifest: { displayName: 'Hello' },
    issues: [
      { path: 'name', message: 'is required' },
      { path: 'publisher', message: 'is required' },
      { path: 'version', message: 'is required' },
      { path: 'runtime', message: 'is required' },
    ],
  },
  {
    name: 'upper-case name',
    manifest: { ...minimalManifest, name: 'Com.Acme.Hello' },
    issues: [{ path: 'name', message: "must be lower-case ('com.acme.hello')" }],
  },
  {
    name: 'single-label name',
    manifest: { ...minimalManifest, name: 'hello' },
    issues: [
      {
        path: 'name',
        message:
          'must be a reverse-DNS id such as com.acme.hello or a scoped id such as @acme/hello',
      },
    ],
  },
  {
    name: 'scope without a name',
    manifest: { ...minimalManifest, name: '@acme' },
    issues: [{ path: 'name', message: 'must be a scoped id such as @acme/hello' }],
  },
  {
    name: 'over-long name',
    manifest: { ...minimalManifest, name: `${'a.'.repeat(64)}b` },
    issues: [{ path: 'name', message: 'must be at most 128 characters' }],
  },
  {
    name: "version with a leading 'v'",
    manifest: { ...minimalManifest, version: 'v1.2.0' },
    issues: [
      {
        path: 'version',
        message: "must be a semver version such as 1.2.0, without the leading 'v' ('1.2.0')",
      },
    ],
  },
  {
    name: 'two-part version',
    manifest: { ...minimalManifest, version: '1.2' },
    issues: [{ path: 'version', message: 'must be a semver version such as 1.2.0' }],
  },
  {
    name: 'publisher with spaces',
    manifest: { ...minimalManifest, publisher: 'Acme Corp' },
    issues: [
      {
        path: 'publisher',
        message: "must be a publisher id of lower-case letters, digits and '-', such as acme",
      },
    ],
  },
  {
    name: 'unknown runtime',
    manifest: { ...minimalManifest, runtime: 'wasm-js@2' },
    issues: [{ path: 'runtime', message: "unknown runtime 'wasm-js@2': must be 'wasm-js@1'" }],
  },
  {
    name: 'absolute entry',
    manifest: { ...minimalManifest, entry: '/dist/component.wasm' },
    issues: [{ path: 'entry', message: "must be relative to the bundle root (no leading '/')" }],
  },
  {
    name: "entry escaping with '..'",
    manifest: { ...minimalManifest, entry: 'dist/../../component.wasm' },
    issues: [{ path: 'entry', message: "must not contain '.' or '..' segments" }],
  },
  {
    name: 'entry with backslashes',
    manifest: { ...minimalManifest, entry: 'dist\\component.wasm' },
    issues: [{ path: 'entry', message: "must use '/' as the separator, not '\\'" }],
  },
  {
    name: 'entry that is not a .wasm file',
    manifest: { ...minimalManifest, entry: 'dist/component.js' },
    issues: [{ path: 'entry', message: 'must name a .wasm file' }],
  },
  {
    name: 'icon given as a URL',
    manifest: { ...minimalManifest, icon: 'https://example.com/icon.svg' },
    issues: [{ path: 'icon', message: 'must be a path inside the bundle, not a URL' }],
  },
  {
    name: 'icon of another type',
    manifest: { ...minimalManifest, icon: 'ui/icon.gif' },
    issues: [{ path: 'icon', message: 'must name a .svg, .png or .webp file' }],
  },
  {
    name: 'homepage without a web scheme',
    manifest: { ...minimalManifest, homepage: 'ftp://example.com' },
    issues: [
      {
        path: 'homepage',
        message: 'must be an https:// (or http://) URL such as https://example.com',
      },
    ],
  },
  {
    name: 'display name too long',
    manifest: { ...minimalManifest, displayName: 'x'.repeat(81) },
    issues: [{ path: 'displayName', message: 'must be at most 80 characters' }],
  },
  {
    name: 'misspelt capability',
    manifest: { ...minimalManifest, capabilities: ['cap:log.emit', 'cap:secret.get'] },
    issues: [
      {
        path: 'capabilities[1]',
        message: "unknown capability 'cap:secret.get' (did you mean 'cap:secrets.get'?)",
      },
    ],
  },
  {
    name: 'duplicate capability',
    manifest: {
      ...minimalManifest,
      capabilities: ['cap:log.emit', 'cap:config.read', 'cap:log.emit'],
    },
    issues: [{ path: 'capabilities[2]', message: "'cap:log.emit' is already listed at [0]" }],
  },
  {
    name: 'misspelt top-level key',
    manifest: { ...minimalManifest, capabilites: ['cap:log.emit'] },
    issues: [{ path: 'capabilites', message: "unknown field (did you mean 'capabilities'?)" }],
  },
  {
    name: 'unknown top-level key',
    manifest: { ...minimalManifest, permissions: ['all'] },
    issues: [{ path: 'permissions', message: 'unknown field' }],
  },
  {
    name: 'egress entry given as a URL',
    manifest: withHost('https://api.example.com/v1'),
    issues: [
      {
        path: 'http.allow[0]',
        message: "must be a host, not a URL: drop the scheme ('api.example.com')",
      },
    ],
  },
  {
    name: 'egress entry with a path',
    manifest: withHost('api.example.com/v1'),
    issues: [
      {
        path: 'http.allow[0]',
        message: 'must be a host with an optional port, without a path, query or fragment',
      },
    ],
  },
  {
    name: 'egress entry with user info',
    manifest: withHost('user@api.example.com'),
    issues: [{ path: 'http.allow[0]', message: 'must not contain user info (user@host)' }],
  },
  {
    name: 'egress port out of range',
    manifest: withHost('api.example.com:70000'),
    issues: [{ path: 'http.allow[0]', message: 'port must be a number from 1 to 65535' }],
  },
  {
    name: 'wildcard not left-most',
    manifest: withHost('api.*.example.com'),
    issues: [
      {
        path: 'http.allow[0]',
        message: "'*' is only allowed as the whole left-most label, such as *.example.com",
      },
    ],
  },
  {
    name: 'wildcard over a top-level domain',
    manifest: withHost('*.com'),
    issues: [
      {
        path: 'http.allow[0]',
        message: 'a wildcard must cover a domain of at least two labels, such as *.example.com',
      },
    ],
  },
  {
    name: 'single-label egress host',
    manifest: withHost('intranet'),
    issues: [
      {
        path: 'http.allow[0]',
        message: 'must be a fully-qualified host name such as api.example.com',
      },
    ],
  },
  {
    name: 'upper-case egress host',
    manifest: withHost('API.Example.com'),
    issues: [{ path: 'http.allow[0]', message: "must be lower-case ('api.example.com')" }],
  },
  {
    name: 'private IPv4 egress',
    manifest: withHost('10.1.2.3'),
    issues: [
      {
        path: 'http.allow[0]',
        message: `'10.1.2.3' is in a private range (10.0.0.0/8); ${PRIVATE_HINT}`,
      },
    ],
  },
  {
    name: 'private IPv4 egress with a port',
    manifest: withHost('192.168.1.10:8080'),
    issues: [
      {
        path: 'http.allow[0]',
        message: `'192.168.1.10:8080' is in a private range (192.168.0.0/16); ${PRIVATE_HINT}`,
      },
    ],
  },
  {
    name: 'cloud metadata address',
    manifest: withHost('169.254.169.254'),
    issues: [
      {
        path: 'http.allow[0]',
        message: `'169.254.169.254' is in the link-local range (169.254.0.0/16); ${PRIVATE_HINT}`,
      },
    ],
  },
  {
    name: 'loopback host name',
    manifest: withHost('localhost:3000'),
    issues: [
      {
        path: 'http.allow[0]',
        message: `'localhost:3000' is a loopback host name; ${PRIVATE_HINT}`,
      },
    ],
  },
  {
    name: 'link-local IPv6 egress',
    manifest: withHost('[fe80::1]'),
    issues: [
      {
        path: 'http.allow[0]',
        message: `'[fe80::1]' is in the link-local range (fe80::/10); ${PRIVATE_HINT}`,
      },
    ],
  },
  {
    name: 'IPv4-mapped IPv6 egress',
    manifest: withHost('[::ffff:a00:1]'),
    issues: [
      {
        path: 'http.allow[0]',
        message: "is an IPv4-mapped IPv6 address: write the IPv4 address '10.0.0.1' instead",
      },
    ],
    refinementOnly: 'JSON Schema checks only the alphabet of IPv6 literals',
  },
  {
    name: 'non-canonical IPv6 egress',
    manifest: withHost('[2606:4700:0:0:0:0:6810:84e5]'),
    issues: [
      {
        path: 'http.allow[0]',
        message: "IPv6 addresses must be in canonical form: '[2606:4700::6810:84e5]'",
      },
    ],
    refinementOnly: 'canonical IPv6 compression is beyond a regular expression',
  },
  {
    name: 'duplicate egress entries',
    manifest: edit(fullManifest, (m) => {
      m.http.allow = ['api.example.com', 'api.example.com'];
    }),
    issues: [{ path: 'http.allow[1]', message: "'api.example.com' is already listed at [0]" }],
  },
  {
    name: "egress without 'cap:http.fetch'",
    manifest: { ...minimalManifest, http: { allow: ['api.example.com'] } },
    issues: [
      {
        path: 'http.allow',
        message:
          "lists hosts but capabilities lacks 'cap:http.fetch': add it, or remove http.allow",
      },
    ],
  },
  {
    name: 'lower-case method',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[0]!.method = 'get';
    }),
    issues: [{ path: 'api.endpoints[0].method', message: "must be upper-case ('GET')" }],
  },
  {
    name: 'unknown method',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[1]!.method = 'FETCH';
    }),
    issues: [
      {
        path: 'api.endpoints[1].method',
        message: "must be one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD' or 'OPTIONS'",
      },
    ],
  },
  {
    name: "endpoint path without '/'",
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[1]!.path = 'items';
    }),
    issues: [{ path: 'api.endpoints[1].path', message: "must start with '/'" }],
  },
  {
    name: "'*' before the last segment",
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[2]!.path = '/files/*/raw';
    }),
    issues: [{ path: 'api.endpoints[2].path', message: "'*' is only allowed as the last segment" }],
  },
  {
    name: 'parameter named twice',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[0]!.path = '/items/:id/parts/:id';
    }),
    issues: [{ path: 'api.endpoints[0].path', message: "parameter ':id' appears more than once" }],
  },
  {
    name: 'endpoint path with a trailing slash',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[1]!.path = '/items/';
    }),
    issues: [
      {
        path: 'api.endpoints[1].path',
        message: "must not end with '/' (a trailing slash in a request still matches)",
      },
    ],
  },
  {
    name: 'endpoint path with an empty segment',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[1]!.path = '/a//b';
    }),
    issues: [{ path: 'api.endpoints[1].path', message: "must not contain empty segments ('//')" }],
  },
  {
    name: 'parameter name starting with a digit',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[0]!.path = '/items/:1d';
    }),
    issues: [
      {
        path: 'api.endpoints[0].path',
        message:
          "parameter ':1d' must be ':' and a name of letters, digits and '_' starting with a letter",
      },
    ],
  },
  {
    name: 'two routes of the same shape',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints.push({ method: 'GET', path: '/items/:key', handler: 'other' });
    }),
    issues: [
      {
        path: 'api.endpoints[3].path',
        message: 'has the same method and route as api.endpoints[0]; declare each route once',
      },
    ],
    refinementOnly: 'JSON Schema cannot compare array items by a derived key',
  },
  {
    name: 'handler that is not an identifier',
    manifest: edit(fullManifest, (m) => {
      m.api.endpoints[0]!.handler = 'get-item';
    }),
    issues: [
      {
        path: 'api.endpoints[0].handler',
        message: 'must be a handler name: an identifier such as getItem (at most 64 characters)',
      },
    ],
  },
  {
    name: 'misspelt endpoint field',
    manifest: edit(fullManifest, (m) => {
      const endpoint = m.api.endpoints[1] as Json;
      endpoint.handlr = endpoint.handler;
      delete endpoint.handler;
    }),
    issues: [
      { path: 'api.endpoints[1].handlr', message: "unknown field (did you mean 'handler'?)" },
    ],
  },
  {
    name: "iframe entry escaping with '..'",
    manifest: edit(fullManifest, (m) => {
      m.ui.iframe.entry = '../index.html';
    }),
    issues: [{ path: 'ui.iframe.entry', message: "must not contain '.' or '..' segments" }],
  },
  {
    name: 'iframe entry that is not HTML',
    manifest: edit(fullManifest, (m) => {
      m.ui.iframe.entry = 'ui/index.js';
    }),
    issues: [{ path: 'ui.iframe.entry', message: 'must name a .html file' }],
  },
  {
    name: 'iframe entry outside assets.ui',
    manifest: edit(fullManifest, (m) => {
      m.ui.iframe.entry = 'web/index.html';
    }),
    issues: [
      {
        path: 'ui.iframe.entry',
        message: "must be inside assets.ui ('ui/'), where the UI files are served from",
      },
    ],
    refinementOnly: 'JSON Schema cannot compare one string field with another',
  },
  {
    name: 'hooks without an iframe',
    manifest: edit(fullManifest, (m) => {
      delete (m.ui as Json).iframe;
    }),
    issues: [
      {
        path: 'ui.hooks',
        message: 'need ui.iframe: hooks show the iframe UI, so declare ui.iframe.entry',
      },
    ],
  },
  {
    name: 'unknown hook type',
    manifest: edit(fullManifest, (m) => {
      m.ui.hooks[0]!.type = 'menu';
    }),
    issues: [
      {
        path: 'ui.hooks[0].type',
        message: "'menu' is not one of 'appMenu', 'tab' or 'placeholder'",
      },
    ],
  },
  {
    name: 'placeholder without a slot',
    manifest: edit(fullManifest, (m) => {
      delete (m.ui.hooks[2] as Json).slot;
    }),
    issues: [{ path: 'ui.hooks[2].slot', message: 'is required' }],
  },
  {
    name: "hook path without '/'",
    manifest: edit(fullManifest, (m) => {
      m.ui.hooks[1]!.path = 'tab';
    }),
    issues: [
      {
        path: 'ui.hooks[1].path',
        message: "must be a route inside the extension's UI starting with '/'",
      },
    ],
  },
  {
    name: 'hook path with a query string',
    manifest: edit(fullManifest, (m) => {
      m.ui.hooks[1]!.path = '/tab?view=1';
    }),
    issues: [
      {
        path: 'ui.hooks[1].path',
        message: 'must be a path only, without a query string or fragment',
      },
    ],
  },
  {
    name: 'iframe minHeight above maxHeight',
    manifest: edit(fullManifest, (m) => {
      (m.ui.iframe as Json).sizes = { minHeight: 900, maxHeight: 800 };
    }),
    issues: [{ path: 'ui.iframe.sizes.minHeight', message: 'must be at most maxHeight (800)' }],
    refinementOnly: 'JSON Schema cannot compare one number field with another',
  },
  {
    name: 'setting kind from another form schema',
    manifest: edit(fullManifest, (m) => {
      m.settings[0]!.kind = 'string';
    }),
    issues: [
      {
        path: 'settings[0].kind',
        message:
          "'string' is not one of 'text', 'number', 'boolean', 'select' or 'secret' (did you mean 'text'?)",
      },
    ],
  },
  {
    name: 'secret with a default',
    manifest: edit(fullManifest, (m) => {
      (m.settings[4] as Json).default = 'sk-live-123';
    }),
    issues: [
      {
        path: 'settings[4].default',
        message:
          'must not be set: secret settings have no default, each install sets its own value',
      },
    ],
  },
  {
    name: 'duplicate setting keys',
    manifest: edit(fullManifest, (m) => {
      m.settings[3]!.key = 'greeting';
    }),
    issues: [{ path: 'settings[3].key', message: "'greeting' is already the key of settings[0]" }],
    refinementOnly: 'JSON Schema cannot compare array items by one property',
  },
  {
    name: 'setting key that is not an identifier',
    manifest: edit(fullManifest, (m) => {
      m.settings[4]!.key = 'api-key';
    }),
    issues: [
      {
        path: 'settings[4].key',
        message:
          "must be an identifier of letters, digits and '_' starting with a letter (at most 64 characters), and not one of toJSON, toString, valueOf, constructor",
      },
    ],
  },
  {
    name: 'setting key that would shadow the redaction of a secret map',
    manifest: edit(fullManifest, (m) => {
      m.settings[4]!.key = 'toJSON';
    }),
    issues: [
      {
        path: 'settings[4].key',
        message:
          "must be an identifier of letters, digits and '_' starting with a letter (at most 64 characters), and not one of toJSON, toString, valueOf, constructor",
      },
    ],
  },
  {
    name: 'number setting with min above max',
    manifest: edit(fullManifest, (m) => {
      Object.assign(m.settings[1]!, { min: 50, max: 5, default: undefined });
      delete (m.settings[1] as Json).default;
    }),
    issues: [{ path: 'settings[1].min', message: 'must be at most max (5)' }],
    refinementOnly: 'JSON Schema cannot compare one number field with another',
  },
  {
    name: 'number default above max',
    manifest: edit(fullManifest, (m) => {
      (m.settings[1] as Json).default = 500;
    }),
    issues: [{ path: 'settings[1].default', message: 'must be at most max (100)' }],
    refinementOnly: 'JSON Schema cannot compare one number field with another',
  },
  {
    name: 'select default not among the options',
    manifest: edit(fullManifest, (m) => {
      (m.settings[2] as Json).options = [
        { value: 'compact', label: 'Compact' },
        { value: 'full', label: 'Full' },
      ];
      (m.settings[2] as Json).default = 'compcat';
    }),
    issues: [
      {
        path: 'settings[2].default',
        message:
          "must be one of the options' values: 'compact' or 'full' (did you mean 'compact'?)",
      },
    ],
    refinementOnly: 'JSON Schema cannot compare a value with the values of a sibling array',
  },
  {
    name: 'select without options',
    manifest: edit(fullManifest, (m) => {
      (m.settings[2] as Json).options = [];
    }),
    issues: [{ path: 'settings[2].options', message: 'must have at least one item' }],
  },
  {
    name: 'boolean default given as text',
    manifest: edit(fullManifest, (m) => {
      (m.settings[3] as Json).default = 'yes';
    }),
    issues: [{ path: 'settings[3].default', message: 'must be true or false (got a string)' }],
  },
  {
    name: 'text default given as a number',
    manifest: edit(fullManifest, (m) => {
      (m.settings[0] as Json).default = 5;
    }),
    issues: [{ path: 'settings[0].default', message: 'must be a string (got a number)' }],
  },
  {
    name: 'blank label',
    manifest: edit(fullManifest, (m) => {
      m.settings[0]!.label = '   ';
    }),
    issues: [
      {
        path: 'settings[0].label',
        message: 'must be non-blank text on one line, without control characters',
      },
    ],
  },
  {
    name: 'malformed component digest',
    manifest: edit(fullManifest, (m) => {
      m.precompiled.component.digest = 'sha256:XYZ';
    }),
    issues: [
      {
        path: 'precompiled.component.digest',
        message: "must be 'sha256:' followed by 64 lower-case hex digits",
      },
    ],
  },
  {
    name: 'empty component',
    manifest: edit(fullManifest, (m) => {
      m.precompiled.component.size = 0;
    }),
    issues: [{ path: 'precompiled.component.size', message: 'must be at least 1' }],
  },
  {
    name: 'many problems at once, in document order',
    manifest: {
      name: 'Hello',
      publisher: 'example',
      version: '1.0',
      runtime: 'wasm-js@1',
      capabilities: ['cap:metircs.emit'],
      api: { endpoints: [{ method: 'GET', path: '/a/*/b', handlr: 'x' }] },
      settings: [{ key: 'k', kind: 'secret', label: 'K', default: 'x' }],
      setings: [],
    },
    issues: [
      { path: 'name', message: "must be lower-case ('hello')" },
      { path: 'version', message: 'must be a semver version such as 1.2.0' },
      {
        path: 'capabilities[0]',
        message: "unknown capability 'cap:metircs.emit' (did you mean 'cap:metrics.emit'?)",
      },
      { path: 'api.endpoints[0].path', message: "'*' is only allowed as the last segment" },
      { path: 'api.endpoints[0].handlr', message: "unknown field (did you mean 'handler'?)" },
      {
        path: 'settings[0].default',
        message:
          'must not be set: secret settings have no default, each install sets its own value',
      },
      { path: 'setings', message: "unknown field (did you mean 'settings'?)" },
    ],
  },
];
