import type { CapabilityId } from '@alga/manifest';
import type { SecretEnvelope } from '../secrets/sealer';
import type { LimitName, RunnerErrorCode } from './errors';

/** Identifiers of one invocation, carried into logs, events, metrics and the guest's `context.get`. */
export interface InvocationContext {
  readonly requestId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  /** The extension version (semver). */
  readonly version: string;
  /** `sha256:<hex>` of the bundle to run. */
  readonly contentHash: string;
}

/** The HTTP request handed to the extension's handler. */
export interface ExecuteHttp {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path below the extension's prefix, starting with `/`. */
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Request headers, already filtered by the gateway; names lower-case. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  /** Parameters captured by the matched manifest endpoint. */
  readonly params?: Readonly<Record<string, string>>;
  /** The matched endpoint's handler name. */
  readonly handler?: string;
  /** Which host route delivered the request. */
  readonly kind: 'api' | 'ui-proxy';
}

/**
 * How instances serve an install. `fresh`: a new instance per request (pre-instantiated spares
 * keep the latency small), so no guest state survives a request. `reuse`: one warm instance
 * per install serves many requests until it traps, times out or reaches its request count.
 */
export type InstancePolicy = 'fresh' | 'reuse';

/** Per-invocation limits; each has a default, an operator maximum and a per-install override. */
export interface RunnerLimits {
  /** Wall-clock deadline of one invocation, host calls included. */
  readonly timeoutMs: number;
  /** Cap on the guest's linear memory; growth past it traps. Rounded down to 64 KiB pages. */
  readonly memoryBytes: number;
  /** Largest request body accepted. */
  readonly maxRequestBytes: number;
  /** Largest response body returned. */
  readonly maxResponseBytes: number;
  /** Bytes of guest logs (stdout, stderr, `log.emit`) kept per invocation; the rest is dropped. */
  readonly maxLogBytes: number;
  /** Invocations of one tenant running at once. */
  readonly maxConcurrencyPerTenant: number;
  /** Invocations of one extension (across tenants) running at once. */
  readonly maxConcurrencyPerExtension: number;
  /** Invocations of one tenant, or of one extension, waiting for a slot; past it: `CONCURRENCY_LIMIT`. */
  readonly maxQueuedPerKey: number;
  /** Requests a `reuse` instance serves before it is replaced. */
  readonly maxRequestsPerInstance: number;
}

/** A per-install override of some limits; each value is capped at the operator maximum. */
export type RunnerLimitOverrides = Partial<RunnerLimits>;

/** What the gateway (or any caller) asks the runner to run. */
export interface ExecuteRequest {
  readonly context: InvocationContext;
  readonly http: ExecuteHttp;
  readonly limits?: RunnerLimitOverrides;
  /** The install's plain configuration. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Capabilities granted to the install; everything else is denied. */
  readonly grants: readonly CapabilityId[];
  /** The install's egress allowlist (manifest `http.allow` patterns the operator approved). */
  readonly egress: readonly string[];
  /** The install's sealed secrets, opened only when a granted `secrets.get` needs them. */
  readonly secretEnvelope?: SecretEnvelope;
  /** Version of the sealed secrets (part of the envelope's associated data and the cache key). */
  readonly secretsVersion?: number;
  /** Instance policy of the install; the runner's default when absent. */
  readonly instancePolicy?: InstancePolicy;
}

/** A runner error as carried in a response. */
export interface ExecuteError {
  readonly code: RunnerErrorCode;
  readonly message: string;
  /** Which limit fired, when the error is a limit. */
  readonly limit?: LimitName;
}

/** The handler's answer after the response policy, or a mapped error. */
export interface ExecuteResponse {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  readonly error?: ExecuteError;
}

/** A snapshot of the runner's state, for health checks and dashboards. */
export interface RunnerStats {
  readonly mode: IsolationMode;
  /** Isolates (workers or child processes) alive, busy, and replaced since start. */
  readonly pool: { readonly size: number; readonly busy: number; readonly replaced: number };
  /** Invocations waiting for a slot. */
  readonly queueDepth: number;
  /** Components loaded (transpiled and compiled) in this process. */
  readonly programs: number;
  /** Invocations finished since start, and how many of them failed. */
  readonly invocations: { readonly total: number; readonly failed: number };
}

/** Where tenant code runs. */
export type IsolationMode = 'worker' | 'process';

/** The one runner interface: embedded (worker or process isolation) or remote. */
export interface Runner {
  /** Runs one request; resolves to a response (errors mapped to a status), never rejects for guest faults. */
  execute(request: ExecuteRequest): Promise<ExecuteResponse>;
  /** Loads, verifies and compiles a bundle ahead of its first request. */
  warm(contentHash: string): Promise<void>;
  /** The runner's current state. */
  stats(): RunnerStats;
  /**
   * Stops accepting work, finishes flushing records, terminates every isolate and waits for the
   * transpile cache's writes.
   */
  close(): Promise<void>;
}
