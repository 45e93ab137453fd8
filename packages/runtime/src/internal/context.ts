import { hostCall, requireInterface } from './call';
import type { ContextMember } from './capabilities';
import { CapabilityError } from './errors';
import type { HostInterfaces } from './host';
import { sendThroughHost } from './http';

/** Identifiers of the current invocation. */
export interface InvocationContext {
  readonly requestId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  /** The extension version (semver). */
  readonly version: string;
  /** `sha256:<hex>` of the bundle being run. */
  readonly contentHash: string;
}

/** The install's plain configuration (`cap:config.read`). */
export interface ConfigApi {
  /** The value of setting `key`, or `undefined` when it is unset. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Every configuration value of the install. */
  all(): Promise<Record<string, unknown>>;
}

/** The install's secrets, opened by the host on demand (`cap:secrets.get`). */
export interface SecretsApi {
  /** The plaintext of secret `key`, or `undefined` when it is unset. */
  get(key: string): Promise<string | undefined>;
  /** The names (never the values) of the secrets that are set. */
  names(): Promise<string[]>;
}

/** Options of {@link HttpApi.fetch}. */
export interface FetchOptions {
  /** HTTP method (default `GET`). */
  method?: string;
  /** Request headers. */
  headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]> | Headers;
  /** Request body; text is sent as UTF-8. */
  body?: string | Uint8Array | ArrayBuffer;
  /** Per-call timeout in milliseconds; the host caps it at its own maximum. */
  timeoutMs?: number;
}

/** The answer to {@link HttpApi.fetch}: the whole (size-capped) response. */
export class FetchResponse {
  /** HTTP status. */
  readonly status: number;
  /** True for a 2xx status. */
  readonly ok: boolean;
  /** Response headers. */
  readonly headers: Headers;
  readonly #body: Uint8Array;

  constructor(status: number, headers: Headers, body: Uint8Array) {
    this.status = status;
    this.ok = status >= 200 && status < 300;
    this.headers = headers;
    this.#body = body;
  }

  /** The raw body. */
  async bytes(): Promise<Uint8Array> {
    return this.#body.slice();
  }

  /** The body decoded as UTF-8. */
  async text(): Promise<string> {
    return new TextDecoder().decode(this.#body);
  }

  /** The body parsed as JSON. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(new TextDecoder().decode(this.#body)) as T;
  }
}

/** Outbound HTTP to hosts on the install's and the operator's allowlist (`cap:http.fetch`). */
export interface HttpApi {
  /** Performs the request on the host side; a host not on the allowlist is `CAPABILITY_DENIED`. */
  fetch(url: string | URL, options?: FetchOptions): Promise<FetchResponse>;
}

/** One stored value and its revision. */
export interface StorageEntry<T = Uint8Array> {
  readonly key: string;
  readonly value: T;
  /** Increases by one on every write of the key. */
  readonly revision: number;
}

/** Compare-and-set option of storage writes. */
export interface WriteOptions {
  /** Write only when the stored revision equals this (`0`: the key must not exist), else `CONFLICT`. */
  expectedRevision?: number;
}

/** Options of {@link StorageApi.list}. */
export interface ListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** At most this many keys per page (the host caps it). */
  limit?: number;
}

/** One page of keys. */
export interface ListPage {
  readonly keys: string[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** A key-value store scoped to (tenant, extension) (`cap:storage.kv`). */
export interface StorageApi {
  /** The entry at `key`, or `undefined`. */
  get(key: string): Promise<StorageEntry | undefined>;
  /** The entry at `key` parsed as JSON, or `undefined`. */
  getJson<T = unknown>(key: string): Promise<StorageEntry<T> | undefined>;
  /** Writes `value` (text as UTF-8) and returns the new revision. */
  put(key: string, value: Uint8Array | string, options?: WriteOptions): Promise<number>;
  /** Writes `value` as JSON and returns the new revision. */
  putJson(key: string, value: unknown, options?: WriteOptions): Promise<number>;
  /** Deletes `key`; true when it existed. */
  delete(key: string, options?: WriteOptions): Promise<boolean>;
  /** Keys in lexicographic order, one page at a time. */
  list(options?: ListOptions): Promise<ListPage>;
}

/** Structured fields attached to a log line; values are sent as JSON. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured logs correlated with the invocation by the host (`cap:log.emit`). A host refusal
 * (not granted, over quota) drops the line rather than failing the request.
 */
export interface LogApi {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Metric labels; keep the set of values small. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Counters and histograms (`cap:metrics.emit`); a host refusal drops the sample. */
export interface MetricsApi {
  /** Adds `value` (default 1, must be >= 0) to counter `name`. */
  counter(name: string, value?: number, labels?: MetricLabels): void;
  /** Records one observation of `value` in histogram `name`. */
  histogram(name: string, value: number, labels?: MetricLabels): void;
}

/** Calls named routes of the host application on the extension's behalf (`cap:ui_proxy`). */
export interface UiProxyApi {
  /** Sends `payload` as JSON to host route `route` and parses its JSON answer. */
  call<T = unknown>(route: string, payload?: unknown): Promise<T>;
  /** Sends raw bytes to host route `route` and returns its raw answer. */
  callBytes(route: string, payload: Uint8Array): Promise<Uint8Array>;
}

/**
 * What a handler can reach on the host. Each member needs the capability in its `@capability`
 * tag: declare it in `manifest.json`, or `alga build` rejects the handler (it reads these tags).
 */
export interface HandlerContext {
  /**
   * Identifiers of the current invocation.
   * @capability cap:context.read
   */
  readonly context: InvocationContext;
  /**
   * The install's plain configuration.
   * @capability cap:config.read
   */
  readonly config: ConfigApi;
  /**
   * The install's secrets.
   * @capability cap:secrets.get
   */
  readonly secrets: SecretsApi;
  /**
   * Outbound HTTP to allowed hosts.
   * @capability cap:http.fetch
   */
  readonly http: HttpApi;
  /**
   * Key-value storage scoped to the tenant and extension.
   * @capability cap:storage.kv
   */
  readonly storage: StorageApi;
  /**
   * Structured logs.
   * @capability cap:log.emit
   */
  readonly log: LogApi;
  /**
   * Counters and histograms.
   * @capability cap:metrics.emit
   */
  readonly metrics: MetricsApi;
  /**
   * The host application's UI proxy routes.
   * @capability cap:ui_proxy
   */
  readonly uiProxy: UiProxyApi;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBytes(value: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof value === 'string') return encoder.encode(value);
  return value instanceof Uint8Array ? value : new Uint8Array(value);
}

function revisionOption(
  member: ContextMember,
  options: WriteOptions | undefined,
): bigint | undefined {
  const expected = options?.expectedRevision;
  if (expected === undefined) return undefined;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new CapabilityError(
      'INVALID_ARGUMENT',
      'cap:storage.kv',
      `${member}: expectedRevision must be a non-negative integer, got ${String(expected)}`,
    );
  }
  return BigInt(expected);
}

function encodeFields(fields: LogFields | undefined): Array<{ key: string; valueJson: string }> {
  if (fields === undefined) return [];
  return Object.entries(fields).map(([key, value]) => {
    let valueJson: string | undefined;
    try {
      valueJson = JSON.stringify(value);
    } catch {
      valueJson = undefined;
    }
    return { key, valueJson: valueJson ?? JSON.stringify(String(value)) };
  });
}

function quietly(call: () => void): void {
  try {
    call();
  } catch (thrown) {
    if (thrown instanceof CapabilityError && thrown.code === 'CAPABILITY_NOT_DECLARED')
      throw thrown;
  }
}

function createConfig(host: HostInterfaces): ConfigApi {
  return {
    async get<T>(key: string) {
      const what = `ctx.config.get(${JSON.stringify(key)})`;
      const api = requireInterface(host, 'config', what);
      const raw = hostCall('config', what, () => api.get(key));
      return raw === undefined ? undefined : (JSON.parse(raw) as T);
    },
    async all() {
      const api = requireInterface(host, 'config', 'ctx.config.all()');
      const entries = hostCall('config', 'ctx.config.all()', () => api.entries());
      return Object.fromEntries(
        entries.map(({ key, valueJson }) => [key, JSON.parse(valueJson) as unknown]),
      );
    },
  };
}

function createSecrets(host: HostInterfaces): SecretsApi {
  return {
    async get(key) {
      const what = `ctx.secrets.get(${JSON.stringify(key)})`;
      const api = requireInterface(host, 'secrets', what);
      try {
        return hostCall('secrets', what, () => api.get(key));
      } catch (thrown) {
        if (thrown instanceof CapabilityError && thrown.code === 'NOT_FOUND') return undefined;
        throw thrown;
      }
    },
    async names() {
      const api = requireInterface(host, 'secrets', 'ctx.secrets.names()');
      return hostCall('secrets', 'ctx.secrets.names()', () => api.listNames());
    },
  };
}

function createHttp(host: HostInterfaces): HttpApi {
  return {
    async fetch(url, options = {}) {
      const target = String(url);
      const method = (options.method ?? 'GET').toUpperCase();
      const answer = sendThroughHost(host, `ctx.http.fetch(${method} ${target})`, {
        method,
        url: target,
        headers: new Headers(options.headers as ConstructorParameters<typeof Headers>[0]),
        ...(options.body === undefined ? {} : { body: toBytes(options.body) }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      return new FetchResponse(answer.status, answer.headers, answer.body);
    },
  };
}

function createStorage(host: HostInterfaces): StorageApi {
  const storage: StorageApi = {
    async get(key) {
      const what = `ctx.storage.get(${JSON.stringify(key)})`;
      const api = requireInterface(host, 'storage', what);
      const entry = hostCall('storage', what, () => api.get(key));
      if (entry === undefined) return undefined;
      return { key: entry.key, value: entry.value, revision: Number(entry.revision) };
    },
    async getJson<T>(key: string) {
      const entry = await storage.get(key);
      if (entry === undefined) return undefined;
      const value = JSON.parse(decoder.decode(entry.value)) as T;
      return { key: entry.key, value, revision: entry.revision };
    },
    async put(key, value, options) {
      const what = `ctx.storage.put(${JSON.stringify(key)})`;
      const api = requireInterface(host, 'storage', what);
      const expected = revisionOption('storage', options);
      return Number(hostCall('storage', what, () => api.put(key, toBytes(value), expected)));
    },
    async putJson(key, value, options) {
      const encoded = JSON.stringify(value);
      if (encoded === undefined) {
        throw new CapabilityError(
          'INVALID_ARGUMENT',
          'cap:storage.kv',
          `ctx.storage.putJson(${JSON.stringify(key)}): the value is not JSON-encodable`,
        );
      }
      return storage.put(key, encoded, options);
    },
    async delete(key, options) {
      const what = `ctx.storage.delete(${JSON.stringify(key)})`;
      const api = requireInterface(host, 'storage', what);
      const expected = revisionOption('storage', options);
      return hostCall('storage', what, () => api.delete(key, expected));
    },
    async list(options = {}) {
      const api = requireInterface(host, 'storage', 'ctx.storage.list()');
      const page = hostCall('storage', 'ctx.storage.list()', () =>
        api.listKeys(options.prefix ?? '', options.cursor, options.limit),
      );
      return page.nextCursor === undefined
        ? { keys: page.keys }
        : { keys: page.keys, nextCursor: page.nextCursor };
    },
  };
  return storage;
}

function createLog(host: HostInterfaces): LogApi {
  const emit = (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: LogFields,
  ) => {
    const what = `ctx.log.${level}()`;
    const api = requireInterface(host, 'log', what);
    quietly(() =>
      hostCall('log', what, () => api.emit(level, String(message), encodeFields(fields))),
    );
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

function createMetrics(host: HostInterfaces): MetricsApi {
  const labelList = (labels: MetricLabels | undefined) =>
    Object.entries(labels ?? {}).map(([key, value]) => ({ key, value: String(value) }));
  return {
    counter(name, value = 1, labels) {
      const api = requireInterface(host, 'metrics', `ctx.metrics.counter(${JSON.stringify(name)})`);
      quietly(() =>
        hostCall('metrics', 'ctx.metrics.counter()', () =>
          api.counter(name, value, labelList(labels)),
        ),
      );
    },
    histogram(name, value, labels) {
      const api = requireInterface(
        host,
        'metrics',
        `ctx.metrics.histogram(${JSON.stringify(name)})`,
      );
      quietly(() =>
        hostCall('metrics', 'ctx.metrics.histogram()', () =>
          api.histogram(name, value, labelList(labels)),
        ),
      );
    },
  };
}

function createUiProxy(host: HostInterfaces): UiProxyApi {
  const callBytes = (route: string, payload: Uint8Array): Uint8Array => {
    const what = `ctx.uiProxy.call(${JSON.stringify(route)})`;
    const api = requireInterface(host, 'uiProxy', what);
    return hostCall('uiProxy', what, () => api.call(route, payload));
  };
  return {
    async call<T>(route: string, payload?: unknown) {
      const answer = callBytes(route, encoder.encode(JSON.stringify(payload ?? null)));
      return JSON.parse(decoder.decode(answer)) as T;
    },
    async callBytes(route, payload) {
      return callBytes(route, payload);
    },
  };
}

/**
 * The `ctx` of one invocation; each member is created on first use. A class rather than an object
 * of getters: inside the component the interpreter would define eight accessors per request.
 */
class InvocationHandlerContext implements HandlerContext {
  readonly #host: HostInterfaces;
  #invocation: InvocationContext | undefined;
  #config: ConfigApi | undefined;
  #secrets: SecretsApi | undefined;
  #http: HttpApi | undefined;
  #storage: StorageApi | undefined;
  #log: LogApi | undefined;
  #metrics: MetricsApi | undefined;
  #uiProxy: UiProxyApi | undefined;

  constructor(host: HostInterfaces) {
    this.#host = host;
  }

  get context(): InvocationContext {
    if (this.#invocation === undefined) {
      const api = requireInterface(this.#host, 'context', 'ctx.context');
      this.#invocation = Object.freeze({ ...hostCall('context', 'ctx.context', () => api.get()) });
    }
    return this.#invocation;
  }

  get config(): ConfigApi {
    this.#config ??= createConfig(this.#host);
    return this.#config;
  }

  get secrets(): SecretsApi {
    this.#secrets ??= createSecrets(this.#host);
    return this.#secrets;
  }

  get http(): HttpApi {
    this.#http ??= createHttp(this.#host);
    return this.#http;
  }

  get storage(): StorageApi {
    this.#storage ??= createStorage(this.#host);
    return this.#storage;
  }

  get log(): LogApi {
    this.#log ??= createLog(this.#host);
    return this.#log;
  }

  get metrics(): MetricsApi {
    this.#metrics ??= createMetrics(this.#host);
    return this.#metrics;
  }

  get uiProxy(): UiProxyApi {
    this.#uiProxy ??= createUiProxy(this.#host);
    return this.#uiProxy;
  }
}

/** Builds the `ctx` of one invocation; each member is created on first use. */
export function createContext(host: HostInterfaces): HandlerContext {
  return new InvocationHandlerContext(host);
}
