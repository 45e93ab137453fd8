// Writes docs/manifest.md from @alga/manifest's JSON Schema (itself generated from the zod
// schema), so the reference can never drift from what parseManifest accepts.
// Run: npm run docs:manifest. test/docs/manifest-doc.test.ts fails when the file is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CAPABILITIES, CAPABILITY_IDS, manifestJsonSchema, parseManifest } from '@alga/manifest';

/** Where the generated reference goes. */
export const MANIFEST_DOC = fileURLToPath(new URL('../docs/manifest.md', import.meta.url));

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  not?: Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  additionalProperties?: Schema | boolean;
  propertyNames?: Schema;
}

/**
 * What the schema does not say about a nested field: hand-written, keyed by path. A key that
 * names no field of the schema fails generation, so a renamed field cannot keep a stale note.
 */
const NOTES: Readonly<Record<string, string>> = {
  'http.allow':
    'Host names, `*.` wildcards and `host:port`; the operator grants a subset per install.',
  'http.allowPrivateNetworks':
    'Must be true for private, loopback or link-local addresses in `allow`.',
  'api.endpoints': 'A request to any other path answers 404 before the handler runs.',
  'api.endpoints[].method': 'HTTP method.',
  'api.endpoints[].path':
    'Path below `/api/ext/{name}`: `/items/:id` parameters, a final `/*` wildcard.',
  'api.endpoints[].handler': 'Name the handler reads as `req.handler`.',
  'api.endpoints[].description': 'For people reading the manifest.',
  'ui.iframe': 'The page the host shows in a sandboxed iframe.',
  'ui.iframe.entry': 'HTML file inside the bundle (under `assets.ui`).',
  'ui.iframe.title': 'Accessible title of the iframe.',
  'ui.iframe.sizes': 'Size hints in CSS pixels.',
  'ui.iframe.sizes.width': 'Preferred width.',
  'ui.iframe.sizes.height': 'Initial height; the page can ask for another with `bridge.resize()`.',
  'ui.iframe.sizes.minHeight': 'Smallest height the host gives it.',
  'ui.iframe.sizes.maxHeight': 'Largest height the host gives it.',
  'ui.hooks': 'Where the host shows the UI; needs `ui.iframe`.',
  'ui.hooks[].label': 'Menu entry or tab label.',
  'ui.hooks[].path': 'Route inside the extension UI the hook opens (passed to the iframe).',
  'ui.hooks[].slot': "Named place in the host's pages, such as `ticket.sidebar`.",
  'settings[].key': 'Name in `ctx.config.get(key)` / `ctx.secrets.get(key)`.',
  'settings[].label': 'Form label.',
  'settings[].required': 'An install must give a value (or the field must have a default).',
  'settings[].default': 'Value until the install sets one (never for secrets).',
  'settings[].description': 'Help text under the field.',
  'settings[].placeholder': 'Shown in the empty input.',
  'settings[].multiline': 'A text area instead of one line.',
  'settings[].min': 'Smallest accepted value.',
  'settings[].max': 'Largest accepted value.',
  'settings[].step': 'Step of the number input.',
  'settings[].options': 'The choices; the stored value is one of their `value`s.',
  'settings[].options[].value': 'Stored value.',
  'settings[].options[].label': 'What people see.',
  'assets.ui': 'Folder packed as the UI and served at `/ext-ui/{name}/{contentHash}/`.',
  'precompiled.component': 'Digest and size of the component, written by the pack step.',
  'precompiled.ui': 'File count and total size of the UI folder.',
  'precompiled.toolchain': 'Tool versions the component was built with.',
};

const code = (value: unknown) => `\`${JSON.stringify(value)}\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(schema: Schema, link: string | undefined): string {
  if (schema.const !== undefined) return code(schema.const);
  if (schema.enum !== undefined) return schema.enum.map(code).join(', ');
  if (schema.not !== undefined && Object.keys(schema.not).length === 0) return 'not allowed';
  if (schema.oneOf !== undefined)
    return link === undefined ? 'one of several shapes' : `one of the shapes in ${link}`;
  const limits: string[] = [];
  if (schema.minLength !== undefined && schema.minLength > 0)
    limits.push(`≥ ${schema.minLength} chars`);
  if (schema.maxLength !== undefined) limits.push(`≤ ${schema.maxLength} chars`);
  if (schema.pattern !== undefined) limits.push('pattern');
  if (schema.minimum !== undefined && schema.minimum !== 0) limits.push(`≥ ${schema.minimum}`);
  if (schema.minimum === 0) limits.push('≥ 0');
  if (schema.exclusiveMinimum !== undefined) limits.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER)
    limits.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined) limits.push(`≥ ${schema.minItems} items`);
  if (schema.maxItems !== undefined) limits.push(`≤ ${schema.maxItems} items`);
  if (schema.uniqueItems === true) limits.push('unique');
  let base = schema.type ?? 'any';
  if (schema.type === 'array' && schema.items !== undefined) {
    base = `array of ${schema.items.type === 'object' || schema.items.oneOf !== undefined ? 'objects' : typeOf(schema.items, undefined)}`;
  }
  if (
    schema.type === 'object' &&
    schema.properties === undefined &&
    schema.additionalProperties !== undefined
  ) {
    base = 'map of string';
  }
  if (link !== undefined && (schema.type === 'object' || schema.type === 'array'))
    base = `${base} (${link})`;
  return limits.length === 0 ? base : `${base}, ${limits.join(', ')}`;
}

const anchor = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

interface Section {
  title: string;
  schema: Schema;
  path: string;
  intro?: string;
}

function nestedOf(schema: Schema): Schema | undefined {
  if (schema.type === 'object' && schema.properties !== undefined) return schema;
  if (schema.type === 'array' && schema.items !== undefined) {
    if (schema.items.properties !== undefined || schema.items.oneOf !== undefined)
      return schema.items;
  }
  return undefined;
}

function renderTable(section: Section, queue: Section[], used: Set<string>): string {
  const { schema, path } = section;
  const rows = [
    '| field | type | required | default | description |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (name === '$schema' && path === '') continue;
    const fieldPath = path === '' ? name : `${path}.${name}`;
    const nested = nestedOf(field);
    let link: string | undefined;
    if (nested !== undefined) {
      const childPath = field.type === 'array' ? `${fieldPath}[]` : fieldPath;
      const title = `\`${childPath}\``;
      link = `[${title}](#${anchor(title)})`;
      queue.push({ title, schema: nested, path: childPath });
    }
    const noteKey = fieldPath.replace(/\[\]\[\]/g, '[]');
    const note = NOTES[noteKey];
    if (note !== undefined) used.add(noteKey);
    const description = [field.description, note].filter((text) => text !== undefined).join(' ');
    rows.push(
      `| \`${name}\` | ${cell(typeOf(field, link))} | ${schema.required?.includes(name) ? 'yes' : 'no'} | ${field.default === undefined ? '' : cell(code(field.default))} | ${cell(description)} |`,
    );
  }
  return rows.join('\n');
}

function renderSection(section: Section, queue: Section[], used: Set<string>): string {
  const parts = [`## ${section.title}`, ''];
  if (section.intro !== undefined) parts.push(section.intro, '');
  if (section.schema.oneOf !== undefined) {
    const discriminator = Object.keys(section.schema.oneOf[0]?.properties ?? {})[0] ?? 'type';
    parts.push(`Each item is one of these shapes, told apart by \`${discriminator}\`.`, '');
    for (const variant of section.schema.oneOf) {
      const value = variant.properties?.[discriminator]?.const;
      parts.push(`### \`${discriminator}: ${JSON.stringify(value)}\``, '');
      parts.push(
        renderTable({ title: section.title, schema: variant, path: section.path }, queue, used),
        '',
      );
    }
  } else {
    parts.push(renderTable(section, queue, used), '');
  }
  return parts.join('\n');
}

const EXAMPLE = {
  name: 'com.example.hello',
  publisher: 'example',
  version: '1.0.0',
  displayName: 'Hello',
  description: 'Greets the caller, with a settings page and an iframe UI.',
  license: 'MIT',
  runtime: 'wasm-js@1',
  entry: 'dist/component.wasm',
  capabilities: [
    'cap:context.read',
    'cap:log.emit',
    'cap:config.read',
    'cap:secrets.get',
    'cap:http.fetch',
  ],
  http: { allow: ['api.example.com'] },
  api: {
    endpoints: [
      { method: 'GET', path: '/items/:id', handler: 'getItem', description: 'One item.' },
    ],
  },
  ui: {
    iframe: { entry: 'ui/index.html', title: 'Hello' },
    hooks: [{ type: 'appMenu', label: 'Hello', path: '/' }],
  },
  settings: [
    { key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello' },
    { key: 'limit', kind: 'number', label: 'Limit', min: 1, max: 100, default: 10 },
    { key: 'apiKey', kind: 'secret', label: 'API key', required: true },
  ],
  assets: { ui: 'ui' },
};

/** The whole of docs/manifest.md. */
export function renderManifestDoc(): string {
  parseManifest(EXAMPLE);
  const schema = manifestJsonSchema as Schema;
  const queue: Section[] = [];
  const used = new Set<string>();
  const sections = [renderSection({ title: 'Top-level fields', schema, path: '' }, queue, used)];
  while (queue.length > 0) sections.push(renderSection(queue.shift() as Section, queue, used));
  const unused = Object.keys(NOTES).filter((key) => !used.has(key));
  if (unused.length > 0)
    throw new Error(`scripts/docs-manifest.ts: NOTES name no schema field: ${unused.join(', ')}`);
  const capabilities = [
    '| capability | unlocks | granted by default | what it allows |',
    '| --- | --- | --- | --- |',
    ...CAPABILITY_IDS.map((id) => {
      const info = CAPABILITIES[id];
      return `| \`${id}\` | \`${info.witInterface}\` | ${info.defaultGrant ? 'yes' : 'no'} | ${cell(info.description)} |`;
    }),
  ].join('\n');
  return [
    '<!-- Generated by `npm run docs:manifest` (scripts/docs-manifest.ts) from the JSON Schema of @alga/manifest. Do not edit by hand. -->',
    '',
    '# Manifest reference',
    '',
    'Every extension has a `manifest.json`: what it is, what it may do, what it serves and what an',
    'install can configure. `parseManifest` from `@alga/manifest` validates it (every problem with',
    'its path); editors can use the JSON Schema shipped as `@alga/manifest/manifest.schema.json`.',
    'The tables below are generated from that schema. `pattern` means the value must also match',
    'a format the field description names (an id, a path, a semver version).',
    '',
    'A manifest using most of it:',
    '',
    '```json',
    JSON.stringify(EXAMPLE, null, 2),
    '```',
    '',
    ...sections,
    '## Capabilities',
    '',
    'Each capability unlocks one interface of the `alga:extension` WIT world (see [wit.md](wit.md)).',
    '`alga build` links only the interfaces the manifest asks for; the operator grants a subset per',
    'install, and every host call checks the grant at run time.',
    '',
    capabilities,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await writeFile(MANIFEST_DOC, renderManifestDoc());
  process.stdout.write(`wrote ${MANIFEST_DOC}\n`);
}
