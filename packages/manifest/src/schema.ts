import * as z from 'zod';
import { CAPABILITY_IDS } from './capabilities.js';
import { didYouMean } from './internal/did-you-mean.js';
import {
  HOST_PATTERN,
  MAX_HOST_PATTERN_LENGTH,
  NON_PUBLIC_HOST_PATTERN,
  nonPublicReason,
  parseHostPattern,
} from './internal/hosts.js';
import {
  bundlePathPattern,
  bundlePathProblem,
  ENDPOINT_PATH_PATTERN,
  endpointPathProblem,
  IFRAME_ROUTE_PATTERN,
  iframeRouteProblem,
  MAX_PATH_LENGTH,
  parseRoute,
} from './internal/paths.js';
import { listOf, quote } from './internal/text.js';
import { HTTP_METHODS, RUNTIMES, SETTING_KINDS } from './types.js';

/**
 * JSON Schema keywords for what zod checks in code (patterns, uniqueness, cross-field rules),
 * so that the generated JSON Schema accepts and rejects the same manifests.
 */
export const jsonSchemaExtras = z.registry<Record<string, unknown>>();

function json<T extends z.ZodType>(schema: T, extra: Record<string, unknown>): T {
  jsonSchemaExtras.add(schema, extra);
  return schema;
}

/** Adds a JSON Schema description, shown by editors on hover. */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  return json(schema, { description });
}

/** Runs a refinement even when other parts of the value failed, so one parse reports all. */
const always = { when: () => true };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string checked by `problem`, whose JSON Schema is `pattern`. */
function checkedString(
  maxLength: number,
  problem: (value: string) => string | undefined,
  pattern: string,
): z.ZodString {
  const schema = z
    .string()
    .max(maxLength)
    .superRefine((value, ctx) => {
      const message = problem(value);
      if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
    });
  return json(schema, { pattern });
}

function bundlePath(suffixes?: readonly string[]): z.ZodString {
  return checkedString(
    MAX_PATH_LENGTH,
    (value) => bundlePathProblem(value, suffixes),
    bundlePathPattern(suffixes),
  );
}

/** Non-blank single-line text such as a label or title. */
function text(maxLength: number): z.ZodString {
  return (
    z
      .string()
      .min(1)
      .max(maxLength)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects.
      .regex(/^(?=.*\S)[^\u0000-\u001f\u007f]+$/, {
        error: 'must be non-blank text on one line, without control characters',
      })
  );
}

/** Reports the second and later occurrences of a key among an array's items. */
function noDuplicates(
  keyOf: (item: unknown) => string | undefined,
  describe: (key: string, first: number) => string,
  pathOf: (index: number) => PropertyKey[] = (index) => [index],
) {
  return (value: unknown, ctx: z.core.$RefinementCtx<unknown>) => {
    if (!Array.isArray(value)) return;
    const firstIndex = new Map<string, number>();
    value.forEach((item, index) => {
      const key = keyOf(item);
      if (key === undefined) return;
      const first = firstIndex.get(key);
      if (first === undefined) firstIndex.set(key, index);
      else
        ctx.addIssue({
          code: 'custom',
          message: describe(key, first),
          path: pathOf(index),
          input: item,
        });
    });
  };
}

const stringItem = (item: unknown) => (typeof item === 'string' ? item : undefined);

// Identity -----------------------------------------------------------------------------

const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const SCOPE_PART = '[a-z0-9][a-z0-9._-]{0,62}';
const NAME_RE = new RegExp(`^(?:${DNS_LABEL}(?:\\.${DNS_LABEL})+|@${SCOPE_PART}/${SCOPE_PART})$`);

const name = z
  .string()
  .max(128)
  .regex(NAME_RE, {
    error: (iss) => {
      const input = typeof iss.input === 'string' ? iss.input : '';
      if (input !== input.toLowerCase())
        return `must be lower-case (${quote(input.toLowerCase())})`;
      if (input.startsWith('@')) return 'must be a scoped id such as @acme/hello';
      return 'must be a reverse-DNS id such as com.acme.hello or a scoped id such as @acme/hello';
    },
  });

const publisher = z
  .string()
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, {
    error: "must be a publisher id of lower-case letters, digits and '-', such as acme",
  });

/** semver.org's recommended expression: MAJOR.MINOR.PATCH, optional -prerelease and +build. */
const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const version = z
  .string()
  .max(128)
  .regex(SEMVER_RE, {
    error: (iss) =>
      typeof iss.input === 'string' && /^v\d/i.test(iss.input)
        ? `must be a semver version such as 1.2.0, without the leading 'v' (${quote(iss.input.slice(1))})`
        : 'must be a semver version such as 1.2.0',
  });

const homepage = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/, {
    error: 'must be an https:// (or http://) URL such as https://example.com',
  });

const license = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+:() -]*$/, {
    error: 'must be an SPDX license expression such as MIT or Apache-2.0',
  });

const runtime = z.enum(RUNTIMES, {
  error: (iss) => {
    if (iss.input === undefined) return undefined;
    return typeof iss.input === 'string'
      ? `unknown runtime ${quote(iss.input)}: must be ${listOf(RUNTIMES)}`
      : `must be ${listOf(RUNTIMES)}`;
  },
});

// Capabilities -------------------------------------------------------------------------

const capabilityId = z.enum(CAPABILITY_IDS, {
  error: (iss) =>
    typeof iss.input === 'string'
      ? `unknown capability ${quote(iss.input)}${didYouMean(iss.input, CAPABILITY_IDS)}`
      : `must be a capability id such as 'cap:log.emit'`,
});

const capabilities = json(
  z
    .array(capabilityId)
    .max(CAPABILITY_IDS.length)
    .superRefine(
      noDuplicates(stringItem, (key, first) => `${quote(key)} is already listed at [${first}]`),
      always,
    ),
  { uniqueItems: true },
);

// HTTP egress --------------------------------------------------------------------------

const hostPattern = checkedString(
  MAX_HOST_PATTERN_LENGTH,
  (value) => {
    const parsed = parseHostPattern(value);
    return typeof parsed === 'string' ? parsed : undefined;
  },
  HOST_PATTERN,
);

const http = json(
  z
    .strictObject({
      allow: json(
        z
          .array(hostPattern)
          .max(64)
          .superRefine(
            noDuplicates(
              stringItem,
              (key, first) => `${quote(key)} is already listed at [${first}]`,
            ),
            always,
          ),
        { uniqueItems: true },
      ).default(() => []),
      allowPrivateNetworks: z.boolean().default(false),
    })
    .superRefine((value, ctx) => {
      if (!isRecord(value) || value.allowPrivateNetworks === true || !Array.isArray(value.allow)) {
        return;
      }
      value.allow.forEach((entry: unknown, index: number) => {
        if (typeof entry !== 'string') return;
        const parsed = parseHostPattern(entry);
        const reason = typeof parsed === 'string' ? undefined : nonPublicReason(parsed);
        if (reason === undefined) return;
        ctx.addIssue({
          code: 'custom',
          path: ['allow', index],
          input: entry,
          message: `${quote(entry)} ${reason}; set http.allowPrivateNetworks to true to allow private, loopback and link-local addresses`,
        });
      });
    }, always),
  {
    anyOf: [
      { properties: { allowPrivateNetworks: { const: true } }, required: ['allowPrivateNetworks'] },
      {
        properties: {
          allow: {
            type: 'array',
            items: { not: { type: 'string', pattern: NON_PUBLIC_HOST_PATTERN } },
          },
        },
      },
    ],
  },
);

// API endpoints ------------------------------------------------------------------------

const method = z.enum(HTTP_METHODS, {
  error: (iss) => {
    const input = iss.input;
    if (input === undefined) return undefined;
    if (
      typeof input === 'string' &&
      (HTTP_METHODS as readonly string[]).includes(input.toUpperCase())
    ) {
      return `must be upper-case (${quote(input.toUpperCase())})`;
    }
    return `must be one of ${listOf(HTTP_METHODS)}${didYouMean(input, HTTP_METHODS)}`;
  },
});

const endpoint = z.strictObject({
  method,
  path: checkedString(512, endpointPathProblem, ENDPOINT_PATH_PATTERN),
  handler: z
    .string()
    .regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/, {
      error: 'must be a handler name: an identifier such as getItem (at most 64 characters)',
    })
    .optional(),
  description: z.string().max(1000).optional(),
});

/** `GET /items/:` for `GET /items/:id`: two routes of the same shape can never both match. */
function routeShape(item: unknown): string | undefined {
  if (!isRecord(item) || typeof item.method !== 'string' || typeof item.path !== 'string') {
    return undefined;
  }
  if (endpointPathProblem(item.path) !== undefined) return undefined;
  const shape = parseRoute(item.path)
    .map((segment) =>
      segment.kind === 'static' ? segment.value : segment.kind === 'param' ? ':' : '*',
    )
    .join('/');
  return `${item.method} /${shape}`;
}

const endpoints = z
  .array(endpoint)
  .max(256)
  .superRefine(
    noDuplicates(
      routeShape,
      (_key, first) =>
        `has the same method and route as api.endpoints[${first}]; declare each route once`,
      (index) => [index, 'path'],
    ),
    always,
  );

// UI -----------------------------------------------------------------------------------

const iframeRoute = checkedString(MAX_PATH_LENGTH, iframeRouteProblem, IFRAME_ROUTE_PATTERN);
const label = text(80);

const slot = z
  .string()
  .max(64)
  .regex(/^[a-z][A-Za-z0-9]*(?:[.-][A-Za-z0-9]+)*$/, {
    error: 'must be a slot name such as ticket.sidebar',
  });

const hook = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('appMenu'), label, path: iframeRoute }),
  z.strictObject({ type: z.literal('tab'), label, path: iframeRoute }),
  z.strictObject({ type: z.literal('placeholder'), slot, label, path: iframeRoute }),
]);

const pixels = z.int().min(1).max(10_000);

const sizes = z
  .strictObject({
    width: pixels.optional(),
    height: pixels.optional(),
    minHeight: pixels.optional(),
    maxHeight: pixels.optional(),
  })
  .superRefine((value, ctx) => {
    const { height, minHeight, maxHeight } = value;
    if (minHeight !== undefined && maxHeight !== undefined && minHeight > maxHeight) {
      ctx.addIssue({
        code: 'custom',
        path: ['minHeight'],
        input: minHeight,
        message: `must be at most maxHeight (${maxHeight})`,
      });
    }
    if (height !== undefined && minHeight !== undefined && height < minHeight) {
      ctx.addIssue({
        code: 'custom',
        path: ['height'],
        input: height,
        message: `must be at least minHeight (${minHeight})`,
      });
    }
    if (height !== undefined && maxHeight !== undefined && height > maxHeight) {
      ctx.addIssue({
        code: 'custom',
        path: ['height'],
        input: height,
        message: `must be at most maxHeight (${maxHeight})`,
      });
    }
  });

const ui = json(
  z
    .strictObject({
      iframe: z
        .strictObject({
          entry: bundlePath(['.html']),
          title: text(120).optional(),
          sizes: sizes.optional(),
        })
        .optional(),
      hooks: z
        .array(hook)
        .max(32)
        .default(() => []),
    })
    .superRefine((value, ctx) => {
      if (!isRecord(value) || value.iframe !== undefined) return;
      if (Array.isArray(value.hooks) && value.hooks.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['hooks'],
          input: value.hooks,
          message: 'need ui.iframe: hooks show the iframe UI, so declare ui.iframe.entry',
        });
      }
    }, always),
  {
    if: { required: ['hooks'], properties: { hooks: { type: 'array', minItems: 1 } } },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword; this object is never awaited.
    then: { required: ['iframe'] },
  },
);

// Settings -----------------------------------------------------------------------------

// Setting keys become property names of the config and secret maps the host builds; these
// names would shadow the methods that keep a secret map redacted (toJSON, toString, ...).
const settingKey = z
  .string()
  .regex(/^(?!(?:toJSON|toString|valueOf|constructor)$)[A-Za-z][A-Za-z0-9_]{0,63}$/, {
    error:
      "must be an identifier of letters, digits and '_' starting with a letter (at most 64 characters), and not one of toJSON, toString, valueOf, constructor",
  });

const fieldBase = {
  key: settingKey,
  label,
  description: z.string().max(1000).optional(),
  required: z.boolean().default(false),
};

const placeholder = z.string().max(200).optional();

const numberField = z
  .strictObject({
    kind: z.literal('number'),
    ...fieldBase,
    default: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().positive().optional(),
    placeholder,
  })
  .superRefine((value, ctx) => {
    const { min, max } = value;
    if (min !== undefined && max !== undefined && min > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        input: min,
        message: `must be at most max (${max})`,
      });
      return;
    }
    const fallback = value.default;
    if (fallback === undefined) return;
    if (min !== undefined && fallback < min) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        input: fallback,
        message: `must be at least min (${min})`,
      });
    }
    if (max !== undefined && fallback > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        input: fallback,
        message: `must be at most max (${max})`,
      });
    }
  });

const selectField = z
  .strictObject({
    kind: z.literal('select'),
    ...fieldBase,
    options: z
      .array(z.strictObject({ value: z.string().min(1).max(200), label }))
      .min(1)
      .max(200)
      .superRefine(
        noDuplicates(
          (item) => (isRecord(item) && typeof item.value === 'string' ? item.value : undefined),
          (key, first) => `${quote(key)} is already the value of options[${first}]`,
          (index) => [index, 'value'],
        ),
        always,
      ),
    default: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.default === undefined) return;
    const values = value.options.map((option) => option.value);
    if (values.includes(value.default)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['default'],
      input: value.default,
      message: `must be one of the options' values: ${listOf(values)}${didYouMean(value.default, values)}`,
    });
  });

/** Kinds people reach for from other form schemas, mapped to ours. */
const KIND_SYNONYMS: Record<string, string> = {
  string: 'text',
  textarea: 'text',
  integer: 'number',
  int: 'number',
  float: 'number',
  bool: 'boolean',
  checkbox: 'boolean',
  toggle: 'boolean',
  enum: 'select',
  choice: 'select',
  password: 'secret',
  token: 'secret',
};

const settingField = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('text'),
      ...fieldBase,
      default: z.string().max(10_000).optional(),
      placeholder,
      multiline: z.boolean().default(false),
    }),
    numberField,
    z.strictObject({ kind: z.literal('boolean'), ...fieldBase, default: z.boolean().optional() }),
    selectField,
    z.strictObject({
      kind: z.literal('secret'),
      ...fieldBase,
      placeholder,
      default: z
        .never({
          error:
            'must not be set: secret settings have no default, each install sets its own value',
        })
        .optional(),
    }),
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const kind = isRecord(iss.input) ? iss.input.kind : undefined;
      if (kind === undefined) return `is required: one of ${listOf(SETTING_KINDS)}`;
      const synonym = typeof kind === 'string' ? KIND_SYNONYMS[kind.toLowerCase()] : undefined;
      const hint =
        synonym === undefined ? didYouMean(kind, SETTING_KINDS) : ` (did you mean '${synonym}'?)`;
      const shown = typeof kind === 'string' ? quote(kind) : 'the value';
      return `${shown} is not one of ${listOf(SETTING_KINDS)}${hint}`;
    },
  },
);

const settings = z
  .array(settingField)
  .max(100)
  .superRefine(
    noDuplicates(
      (item) => (isRecord(item) && typeof item.key === 'string' ? item.key : undefined),
      (key, first) => `${quote(key)} is already the key of settings[${first}]`,
      (index) => [index, 'key'],
    ),
    always,
  );

// Assets and precompiled metadata --------------------------------------------------------

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, {
  error: "must be 'sha256:' followed by 64 lower-case hex digits",
});

const precompiled = z.strictObject({
  component: z.strictObject({ digest, size: z.int().min(1) }),
  ui: z.strictObject({ files: z.int().min(0), size: z.int().min(0) }).optional(),
  toolchain: z
    .record(
      z.string().regex(/^[@a-z0-9][a-z0-9@/._-]{0,63}$/, {
        error: 'must be a tool name such as componentize-js',
      }),
      z.string().min(1).max(64),
    )
    .optional(),
});

// The manifest -------------------------------------------------------------------------

/** The zod schema of Manifest v2. Parse through `parseManifest` for people-friendly issues. */
export const manifestSchema = json(
  z
    .strictObject({
      $schema: doc(
        z.string().max(2048).optional(),
        'Editor hint: the path or URL of this JSON Schema.',
      ),
      name: doc(name, 'Extension id: reverse-DNS (com.acme.hello) or scoped (@acme/hello).'),
      publisher: doc(publisher, "Publisher id; the bundle's signing key must belong to it."),
      version: doc(version, 'Semver version of this release, such as 1.2.0.'),
      displayName: doc(text(80).optional(), 'Name shown to people.'),
      description: doc(z.string().max(2000).optional(), 'What the extension does.'),
      icon: doc(bundlePath(['.svg', '.png', '.webp']).optional(), 'Icon path inside the bundle.'),
      homepage: doc(homepage.optional(), 'Home page URL.'),
      license: doc(license.optional(), 'SPDX license expression, such as MIT.'),
      runtime: doc(runtime, 'How the host runs the component.'),
      entry: doc(
        bundlePath(['.wasm']).default('dist/component.wasm'),
        'Component path inside the bundle.',
      ),
      capabilities: doc(
        capabilities.default(() => []),
        'Capabilities the extension asks for; an operator grants a subset per install.',
      ),
      http: doc(
        http.default(() => ({ allow: [], allowPrivateNetworks: false })),
        'Egress: the hosts the extension may reach (needs cap:http.fetch).',
      ),
      api: doc(
        z
          .strictObject({ endpoints: endpoints.default(() => []) })
          .default(() => ({ endpoints: [] })),
        'HTTP endpoints served at /api/ext/{extension}{path}; other paths answer 404.',
      ),
      ui: doc(ui.optional(), 'The iframe UI and the host places that show it.'),
      settings: doc(
        settings.default(() => []),
        'The install settings form; secret fields are sealed per install.',
      ),
      assets: doc(
        z.strictObject({ ui: bundlePath().optional() }).optional(),
        'Asset folders inside the bundle.',
      ),
      precompiled: doc(precompiled.optional(), 'Digests and sizes recorded by the pack step.'),
    })
    .superRefine((value, ctx) => {
      if (!isRecord(value)) return;
      const httpValue = value.http;
      const caps = Array.isArray(value.capabilities) ? value.capabilities : [];
      if (
        isRecord(httpValue) &&
        Array.isArray(httpValue.allow) &&
        httpValue.allow.length > 0 &&
        !caps.includes('cap:http.fetch')
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['http', 'allow'],
          input: httpValue.allow,
          message:
            "lists hosts but capabilities lacks 'cap:http.fetch': add it, or remove http.allow",
        });
      }
      const uiDir = isRecord(value.assets) ? value.assets.ui : undefined;
      const entry =
        isRecord(value.ui) && isRecord(value.ui.iframe) ? value.ui.iframe.entry : undefined;
      if (
        typeof uiDir === 'string' &&
        typeof entry === 'string' &&
        bundlePathProblem(entry) === undefined &&
        !entry.startsWith(`${uiDir}/`)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['ui', 'iframe', 'entry'],
          input: entry,
          message: `must be inside assets.ui (${quote(`${uiDir}/`)}), where the UI files are served from`,
        });
      }
    }, always),
  {
    title: 'Alga extension manifest (v2)',
    description: 'The manifest.json of an Alga extension bundle.',
    if: {
      required: ['http'],
      properties: {
        http: {
          type: 'object',
          required: ['allow'],
          properties: { allow: { type: 'array', minItems: 1 } },
        },
      },
    },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword; this object is never awaited.
    then: {
      required: ['capabilities'],
      properties: { capabilities: { type: 'array', contains: { const: 'cap:http.fetch' } } },
    },
  },
);
