import { CAPABILITIES, type CapabilityId } from '@alga/manifest';
import { HostCallError } from './errors';
import type { MemoryStorage } from './storage';

/** Identifiers of one invocation, as `ctx.context` returns them. */
export interface InvocationIds {
  requestId: string;
  tenantId: string;
  extensionId: string;
  installId: string;
  version: string;
  contentHash: string;
}

/** One `ctx.log` line the guest emitted. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** Field values, parsed from JSON. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One `ctx.metrics` sample the guest emitted. */
export interface MetricSample {
  readonly kind: 'counter' | 'histogram';
  readonly name: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** One outbound request the guest made (allowed or not). */
export interface HttpCall {
  readonly method: string;
  readonly url: string;
  /** `denied`, `invalid`, `unavailable`, `limit`, or the response status. */
  readonly outcome: number | 'denied' | 'invalid' | 'unavailable' | 'limit';
}

/** A UI proxy route of the fake host application. */
export type UiProxyRoute = (
  payload: Uint8Array,
) => Uint8Array | string | Promise<Uint8Array | string>;

/** Everything the in-memory providers need for one invocation. */
export interface ProviderEnvironment {
  readonly context: InvocationIds;
  readonly grants: ReadonlySet<CapabilityId>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly storage: MemoryStorage;
  readonly egress: readonly string[];
  readonly fetch: (request: Request) => Response | Promise<Response>;
  readonly origins: Readonly<Record<string, string>>;
  readonly uiProxy: Readonly<Record<string, UiProxyRoute>>;
  readonly maxResponseBytes: number;
}

/** What the providers saw during one invocation. */
export interface InvocationRecords {
  readonly logs: LogRecord[];
  readonly metrics: MetricSample[];
  readonly httpCalls: HttpCall[];
}

const CAPABILITY_OF_INTERFACE = new Map<string, CapabilityId>(
  (Object.keys(CAPABILITIES) as CapabilityId[]).map((id) => [CAPABILITIES[id].witInterface, id]),
);

/** True when `url`'s host and port are covered by one of the manifest-style `patterns`. */
export function egressAllowed(url: URL, patterns: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return patterns.some((pattern) => {
    const match = /^(\*\.)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(pattern.toLowerCase());
    if (match === null) return false;
    const [, wildcard, name = '', patternPort] = match;
    const portOk = patternPort === undefined ? url.port === '' : Number(patternPort) === port;
    const hostOk = wildcard === undefined ? host === name : host.endsWith(`.${name}`);
    return portOk && hostOk;
  });
}

async function readCapped(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max)
    throw new HostCallError(
      'limit',
      `the response of ${declared} bytes is over the cap of ${max} bytes`,
    );
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.byteLength > max) {
    throw new HostCallError(
      'limit',
      `the response of ${body.byteLength} bytes is over the cap of ${max} bytes`,
    );
  }
  return body;
}

interface OutboundRequest {
  method: string;
  url: string;
  headers: Array<{ name: string; value: string }>;
  body?: Uint8Array;
  timeoutMs?: number;
}

async function fetchProvider(
  env: ProviderEnvironment,
  records: InvocationRecords,
  request: OutboundRequest,
) {
  const note = (outcome: HttpCall['outcome']) =>
    records.httpCalls.push({ method: request.method, url: request.url, outcome });
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    note('invalid');
    throw new HostCallError('invalid', `${JSON.stringify(request.url)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    note('invalid');
    throw new HostCallError(
      'invalid',
      `only http: and https: URLs can be fetched, got ${url.protocol}`,
    );
  }
  if (!egressAllowed(url, env.egress)) {
    note('denied');
    throw new HostCallError('denied', `${url.host} is not on this install's egress allowlist`);
  }
  const origin = env.origins[url.host] ?? env.origins[url.hostname];
  const target = origin === undefined ? url : new URL(`${url.pathname}${url.search}`, origin);
  const init: RequestInit = {
    method: request.method,
    headers: request.headers.map(({ name, value }): [string, string] => [name, value]),
    signal: AbortSignal.timeout(Math.min(request.timeoutMs ?? 10_000, 30_000)),
  };
  if (request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD')
    init.body = new Uint8Array(request.body);
  let response: Response;
  try {
    response = await env.fetch(new Request(target, init));
  } catch (cause) {
    note('unavailable');
    throw new HostCallError(
      'unavailable',
      `${request.method} ${url.origin} failed: ${(cause as Error).message}`,
    );
  }
  let body: Uint8Array;
  try {
    body = await readCapped(response, env.maxResponseBytes);
  } catch (error) {
    note(error instanceof HostCallError && error.tag === 'limit' ? 'limit' : 'unavailable');
    throw error instanceof HostCallError
      ? error
      : new HostCallError('unavailable', `reading the response of ${url.origin} failed`);
  }
  note(response.status);
  return {
    status: response.status,
    headers: [...response.headers.entries()].map(([name, value]) => ({ name, value })),
    body,
  };
}

const parseField = (valueJson: string): unknown => {
  try {
    return JSON.parse(valueJson) as unknown;
  } catch {
    return valueJson;
  }
};

/**
 * Answers one host import the way the real host does: the capability must be granted (else
 * `denied`), then the in-memory provider runs. Unknown functions are `invalid`.
 */
export async function provide(
  env: ProviderEnvironment,
  records: InvocationRecords,
  iface: string,
  fn: string,
  args: unknown[],
): Promise<unknown> {
  const capability = CAPABILITY_OF_INTERFACE.get(iface);
  if (capability === undefined)
    throw new HostCallError('invalid', `${iface} is not a host interface`);
  if (!env.grants.has(capability))
    throw new HostCallError('denied', `${capability} is not granted to this install`);
  const call = `${iface.slice(iface.indexOf('/') + 1)}.${fn}`;
  switch (call) {
    case 'context.get':
      return { ...env.context };
    case 'config.get': {
      const key = args[0] as string;
      return Object.hasOwn(env.config, key) ? JSON.stringify(env.config[key]) : undefined;
    }
    case 'config.entries':
      return Object.entries(env.config).map(([key, value]) => ({
        key,
        valueJson: JSON.stringify(value),
      }));
    case 'secrets.get': {
      const key = args[0] as string;
      if (!Object.hasOwn(env.secrets, key))
        throw new HostCallError('not-found', `secret ${JSON.stringify(key)} is not set`);
      return env.secrets[key];
    }
    case 'secrets.listNames':
      return Object.keys(env.secrets).sort();
    case 'http.fetch':
      return fetchProvider(env, records, args[0] as OutboundRequest);
    case 'storage.get':
      return env.storage.get(args[0] as string);
    case 'storage.put':
      return env.storage.put(
        args[0] as string,
        args[1] as Uint8Array,
        args[2] as bigint | undefined,
      );
    case 'storage.delete':
      return env.storage.delete(args[0] as string, args[1] as bigint | undefined);
    case 'storage.listKeys':
      return env.storage.listKeys(
        args[0] as string,
        args[1] as string | undefined,
        args[2] as number | undefined,
      );
    case 'log.emit': {
      const [level, message, fields] = args as [
        LogRecord['level'],
        string,
        Array<{ key: string; valueJson: string }>,
      ];
      records.logs.push({
        level,
        message,
        fields: Object.fromEntries(fields.map((f) => [f.key, parseField(f.valueJson)])),
      });
      return undefined;
    }
    case 'metrics.counter':
    case 'metrics.histogram': {
      const [name, value, labels] = args as [string, number, Array<{ key: string; value: string }>];
      if (call === 'metrics.counter' && !(value >= 0))
        throw new HostCallError('invalid', `counter ${name} cannot go down (${value})`);
      records.metrics.push({
        kind: call === 'metrics.counter' ? 'counter' : 'histogram',
        name,
        value,
        labels: Object.fromEntries(labels.map((label) => [label.key, label.value])),
      });
      return undefined;
    }
    case 'ui-proxy.call': {
      const [route, payload] = args as [string, Uint8Array];
      const handler = env.uiProxy[route];
      if (handler === undefined)
        throw new HostCallError(
          'not-found',
          `the host has no UI proxy route ${JSON.stringify(route)}`,
        );
      const answer = await handler(payload);
      return typeof answer === 'string' ? new TextEncoder().encode(answer) : answer;
    }
    default:
      throw new HostCallError('invalid', `${iface} has no function ${fn}`);
  }
}
