import { z } from 'zod';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';

/**
 * Every setting of the embedded host, with the flag and environment variable it comes from.
 * A flag wins over its variable; errors name both so an operator knows what to fix.
 */
export const HOST_SETTINGS = {
  dataDir: {
    flag: '--data',
    env: 'ALGA_DATA_DIR',
    help: 'data folder (registry, bundles, keys); default ./.alga',
  },
  port: { flag: '--port', env: 'PORT', help: 'port to listen on (0: any free port); default 3000' },
  host: { flag: '--host', env: 'ALGA_HOST', help: 'address to bind; default 127.0.0.1 (loopback)' },
  trust: {
    flag: '--trust',
    env: 'SIGNING_TRUST_BUNDLE',
    help: 'trust bundle file (JSON or PEM) or the bundle inline; default <data>/trust.json',
  },
  adminToken: {
    flag: '--admin-token',
    env: 'ALGA_ADMIN_TOKEN',
    help: 'admin API bearer token (16+ characters); generated and printed when unset',
  },
  secretsKey: {
    flag: '--secrets-key',
    env: 'ALGA_SECRETS_KEY',
    help: 'install-secrets sealing keys, kid:base64 list; default <data>/secrets.key (created)',
  },
  runnerBaseUrl: {
    flag: '--runner-base-url',
    env: 'RUNNER_BASE_URL',
    help: 'run handlers on this runner service instead of in-process workers',
  },
  runnerAuthToken: {
    flag: '--runner-auth-token',
    env: 'RUNNER_AUTH_TOKEN',
    help: 'runner service token; without RUNNER_BASE_URL this host serves POST /v1/execute with it',
  },
  publicBase: {
    flag: '--public-base',
    env: 'RUNNER_PUBLIC_BASE',
    help: 'public origin of /ext-ui/ for iframe src; default this host',
  },
  frameAncestors: {
    flag: '--frame-ancestors',
    env: 'ALGA_FRAME_ANCESTORS',
    help: "origins allowed to frame the UI (CSP frame-ancestors); default 'self' and this host",
  },
  gatewayTimeoutMs: {
    flag: '--gateway-timeout-ms',
    env: 'EXT_GATEWAY_TIMEOUT_MS',
    help: 'handler deadline in ms (504 after); default 10000',
  },
  maxRequestBodyBytes: {
    flag: '--max-request-bytes',
    env: 'EXT_MAX_REQUEST_BYTES',
    help: 'largest request body (413 over); default 5 MiB',
  },
  maxResponseBodyBytes: {
    flag: '--max-response-bytes',
    env: 'EXT_MAX_RESPONSE_BYTES',
    help: 'largest handler response body (413 over); default 5 MiB',
  },
  egressAllowlist: {
    flag: '--egress-allowlist',
    env: 'EXT_EGRESS_ALLOWLIST',
    help: 'hosts handlers may fetch (comma-separated patterns); default none',
  },
  instancePolicy: {
    flag: '--instance-policy',
    env: 'EXT_INSTANCE_POLICY',
    help: 'fresh (a new guest instance per request) or reuse (one warm instance per install); default fresh',
  },
  rateLimitTenant: {
    flag: '--rate-limit-tenant',
    env: 'EXT_RATE_LIMIT_TENANT',
    help: 'requests/seconds per tenant; default 600/60',
  },
  rateLimitExtension: {
    flag: '--rate-limit-extension',
    env: 'EXT_RATE_LIMIT_EXTENSION',
    help: 'requests/seconds per tenant and extension; default 300/60',
  },
  rateLimitRedisUrl: {
    flag: '--rate-limit-redis-url',
    env: 'EXT_RATE_LIMIT_REDIS_URL',
    help: 'Redis for rate limits shared by several hosts; default in memory',
  },
  shutdownTimeoutMs: {
    flag: '--shutdown-timeout-ms',
    env: 'ALGA_SHUTDOWN_TIMEOUT_MS',
    help: 'how long shutdown waits for in-flight requests; default 10000',
  },
  warmOnStart: {
    flag: '--warm-on-start',
    env: 'ALGA_WARM_ON_START',
    help: 'load every installed extension when the host starts, so the first requests after a restart do not wait for it (true/false); default true',
  },
  dev: {
    flag: '--dev',
    env: 'ALGA_DEV',
    help: 'dev mode: 404s for undeclared endpoints list the declared ones',
  },
} as const;

/** A setting name of {@link HOST_SETTINGS}. */
export type HostSettingName = keyof typeof HOST_SETTINGS;

/** Raw setting values as strings (flags or environment), before validation. */
export type RawHostSettings = Partial<
  Record<HostSettingName, string | boolean | number | undefined>
>;

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
/** A list from a comma/space separated string (flag, env) or an array (code). */
const list = z.union([
  z.array(z.string().min(1)),
  z.string().transform((text) => text.split(/[,\s]+/).filter((item) => item !== '')),
]);
const ruleObject = z.object({
  points: z.number().int().min(1),
  durationSeconds: z.number().int().min(1),
});
/** A rate-limit rule from `<requests>/<seconds>` (flag, env) or `{points, durationSeconds}`. */
const rule = z.union([
  ruleObject,
  z
    .string()
    .regex(/^\d{1,9}\/\d{1,6}$/, 'must be <requests>/<seconds>, e.g. 600/60')
    .transform((text) => {
      const [points, durationSeconds] = text.split('/').map(Number) as [number, number];
      return { points, durationSeconds };
    })
    .pipe(ruleObject),
]);
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http: or https: URL')
  .transform((u) => u.replace(/\/+$/, ''));
const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no'])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes');

const schema = z.object({
  dataDir: z.string().min(1).default('./.alga'),
  port: z.coerce.number().int().min(0).max(65_535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
  trust: z.string().min(1).optional(),
  adminToken: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  secretsKey: z.string().min(1).optional(),
  runnerBaseUrl: httpUrl.optional(),
  runnerAuthToken: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  publicBase: httpUrl.optional(),
  frameAncestors: list.optional(),
  gatewayTimeoutMs: positiveInt(600_000).default(10_000),
  maxRequestBodyBytes: positiveInt(1024 * 1024 * 1024).default(5 * 1024 * 1024),
  maxResponseBodyBytes: positiveInt(1024 * 1024 * 1024).default(5 * 1024 * 1024),
  egressAllowlist: list.optional(),
  instancePolicy: z.enum(['fresh', 'reuse']).default('fresh'),
  rateLimitTenant: rule.optional(),
  rateLimitExtension: rule.optional(),
  rateLimitRedisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  shutdownTimeoutMs: positiveInt(600_000).default(10_000),
  warmOnStart: bool.default(true),
  dev: bool.default(false),
});

/** The validated settings of the embedded host. */
export type HostSettings = z.output<typeof schema>;

/** Settings as code gives them: every field optional, lists as arrays or strings. */
export type HostSettingsInput = z.input<typeof schema>;

/**
 * Validates the embedded host's settings from flags and environment (a flag wins). Throws
 * `CONFIG_INVALID` naming every bad setting by its flag and variable, e.g.
 * `--port / PORT: must be at most 65535`.
 *
 * @example
 * ```ts
 * const settings = resolveHostSettings({ port: '3000', dataDir: './.alga' }, process.env);
 * ```
 */
export function resolveHostSettings(
  flags: RawHostSettings,
  env: Readonly<Record<string, string | undefined>> = {},
): HostSettings {
  const raw: Record<string, unknown> = {};
  for (const [name, where] of Object.entries(HOST_SETTINGS) as [
    HostSettingName,
    { env: string },
  ][]) {
    const value = flags[name] ?? env[where.env];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  return parseHostSettings(raw);
}

/**
 * Validates settings given in code (lists as arrays or strings); errors name the flag and
 * variable of each bad setting, like {@link resolveHostSettings}.
 */
export function parseHostSettings(input: HostSettingsInput): HostSettings {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) => {
        const where = HOST_SETTINGS[issue.path[0] as HostSettingName];
        return `${where.flag} / ${where.env}: ${issue.message}`;
      }),
    );
  }
  if (parsed.data.runnerBaseUrl !== undefined && parsed.data.runnerAuthToken === undefined) {
    throw invalid([
      '--runner-auth-token / RUNNER_AUTH_TOKEN: is required when RUNNER_BASE_URL is set',
    ]);
  }
  return parsed.data;
}

function invalid(problems: string[]): GatewayError {
  return new GatewayError(
    GatewayErrorCode.CONFIG_INVALID,
    `Invalid host settings: ${problems.join('; ')}.`,
    { details: { problems } },
  );
}
