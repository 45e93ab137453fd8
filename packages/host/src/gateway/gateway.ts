import { type CapabilityId, type Manifest, matchEndpoint, parseManifest } from '@alga/manifest';
import { EventEmitter } from 'eventemitter3';
import { LRUCache } from 'lru-cache';
import { Counter, Histogram, type Registry as PromRegistry } from 'prom-client';
import { RegistryError } from '../registry/errors';
import type { VersionRecord } from '../registry/types';
import type { RunnerErrorCode } from '../runner/errors';
import type { ExecuteRequest, ExecuteResponse, Runner } from '../runner/types';
import type { SecretEnvelope } from '../secrets/sealer';
import { readBodyCapped } from './body';
import { checkedForRunner } from './checked';
import { GatewayError, GatewayErrorCode } from './errors';
import { checkHeaderLimits, filterRequestHeaders, filterResponseHeaders } from './headers';
import {
  answerError,
  asGatewayError,
  baseHeaderPairs,
  type GatewayLogger,
  requestIdOf,
} from './http';
import { createRateLimiter, type GatewayRateLimiter } from './rate-limit';
import { type ExtensionRoute, parseExtensionRoute, type RouteKind } from './route';

/** Who is calling: the tenant, and optionally the acting user, from the host's session. */
export interface GatewayIdentity {
  /** The tenant whose install is used. */
  tenantId: string;
  /** The acting user or service, passed to the guest as `x-alga-actor`. */
  actorId?: string;
}

/**
 * Resolves the caller of `request` from the host application's session (cookie, bearer
 * token, ...). Returns `undefined` when there is none: the gateway answers 401. The
 * credentials it reads never reach the guest: `authorization` and `cookie` are stripped.
 */
export type ResolveIdentity = (
  request: Request,
) => Promise<GatewayIdentity | undefined> | GatewayIdentity | undefined;

/** What the gateway needs of a tenant's install (the registry's `ResolvedInstall` has it all). */
export interface GatewayInstall {
  readonly installId: string;
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly grants: readonly CapabilityId[];
  readonly egress: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  readonly configVersion: number;
  readonly secretEnvelope?: SecretEnvelope | undefined;
  readonly secretsVersion: number;
  readonly enabled: boolean;
}

/** The registry call the gateway needs; the registry service (`createRegistry`) has it. */
export interface GatewayRegistry {
  /**
   * The tenant's install of the extension; `undefined` (or a `NOT_INSTALLED` registry error)
   * when there is none.
   */
  resolveInstall(tenantId: string, extensionId: string): Promise<GatewayInstall | undefined>;
}

/** Where the gateway reads a version's manifest; any `RegistryStore` fits. */
export interface GatewayVersionStore {
  /** A published version, whose `manifest` declares the endpoints. */
  getVersion(extensionId: string, version: string): Promise<VersionRecord | undefined>;
}

/** Size and time limits of the gateway. */
export interface GatewayLimits {
  /** Largest request body in bytes (default 5 MiB); larger answers 413. */
  maxRequestBodyBytes: number;
  /** Largest handler response body in bytes (default 5 MiB); larger answers 413. */
  maxResponseBodyBytes: number;
  /** Most request header fields (default 64); more answers 413. */
  maxHeaderCount: number;
  /** Most bytes of all request header names and values (default 16 KiB); more answers 413. */
  maxHeaderBytes: number;
  /** Milliseconds the handler has to answer (default 10 000, `EXT_GATEWAY_TIMEOUT_MS`); 504 after. */
  timeoutMs: number;
}

/** The defaults of {@link GatewayLimits}. */
export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimits> = {
  maxRequestBodyBytes: 5 * 1024 * 1024,
  maxResponseBodyBytes: 5 * 1024 * 1024,
  maxHeaderCount: 64,
  maxHeaderBytes: 16 * 1024,
  timeoutMs: 10_000,
};

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** Resolves tenant installs (the registry service). */
  registry: GatewayRegistry;
  /** Reads published versions' manifests (the registry store). */
  store: GatewayVersionStore;
  /** Runs handlers: in-process worker runner, child process, or a `RemoteRunner`. */
  runner: Pick<Runner, 'execute'>;
  /** Maps a request to its tenant (and actor), from the host's own session. */
  resolveIdentity: ResolveIdentity;
  /** Size and time caps; unset fields take {@link DEFAULT_GATEWAY_LIMITS}. */
  limits?: Partial<GatewayLimits>;
  /** Per-tenant and per-extension limits; default {@link createRateLimiter} in memory. */
  rateLimiter?: GatewayRateLimiter;
  /** Dev mode: a 404 for an undeclared endpoint lists the declared ones. Never in production. */
  dev?: boolean;
  /** Where request outcomes are logged (never bodies, headers or secrets). */
  logger?: GatewayLogger;
  /**
   * Prometheus registry for `alga_gateway_requests_total{kind,status,code}` and
   * `alga_gateway_request_duration_seconds{kind}` (labels have bounded values: no ids).
   */
  metrics?: PromRegistry;
}

/** One finished gateway request, as {@link Gateway.events} reports it. */
export interface GatewayRequestEvent {
  readonly requestId: string;
  readonly method: string;
  /** The route (`api`, `ui-proxy`), or `none` when the path matched neither. */
  readonly kind: RouteKind | 'none';
  readonly status: number;
  /** The error code when the request was refused or failed. */
  readonly code?: GatewayErrorCode;
  /** Known once the caller was identified. */
  readonly tenantId?: string;
  /** Known once the path named an extension. */
  readonly extensionId?: string;
  readonly durationMs: number;
}

/** Events of a {@link Gateway}. */
export interface GatewayEventMap {
  /** Every request, once answered: for audit trails and host dashboards. */
  request: (event: GatewayRequestEvent) => void;
}

interface Trace {
  kind?: RouteKind;
  tenantId?: string;
  extensionId?: string;
  /** The request body was read to its end. */
  bodyRead?: boolean;
}

function gatewayMetrics(registry: PromRegistry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'alga_gateway_requests_total',
      help: 'Gateway requests answered, by route kind, status and error code (ok when none).',
      labelNames: ['kind', 'status', 'code'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'alga_gateway_request_duration_seconds',
      help: 'Wall-clock time from request to answer at the gateway, runner included.',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

/** A web-standard request handler for `/api/ext/...` and `/api/ext-proxy/...`. */
export interface Gateway {
  /** Handles one request; never rejects (every failure is an error response). */
  fetch(request: Request): Promise<Response>;
  /** The effective limits. */
  readonly limits: Readonly<GatewayLimits>;
  /** `request` after every answer (ids, status and code; never headers or bodies). */
  readonly events: EventEmitter<GatewayEventMap>;
}

/**
 * The gateway error each runner error becomes. Guest faults (trap, memory, crash) and load
 * failures are the extension's upstream failing: 502, like any bad gateway upstream.
 */
const RUNNER_ERROR_CODES: Readonly<Record<RunnerErrorCode, GatewayErrorCode>> = {
  INVALID_REQUEST: GatewayErrorCode.BAD_REQUEST,
  TIMEOUT: GatewayErrorCode.TIMEOUT,
  MEMORY_LIMIT: GatewayErrorCode.UPSTREAM,
  TRAP: GatewayErrorCode.UPSTREAM,
  REQUEST_TOO_LARGE: GatewayErrorCode.PAYLOAD_TOO_LARGE,
  RESPONSE_TOO_LARGE: GatewayErrorCode.RESPONSE_TOO_LARGE,
  CONCURRENCY_LIMIT: GatewayErrorCode.RATE_LIMITED,
  QUEUE_FULL: GatewayErrorCode.RATE_LIMITED,
  QUEUE_TIMEOUT: GatewayErrorCode.RATE_LIMITED,
  CAPABILITY_DENIED: GatewayErrorCode.CAPABILITY_DENIED,
  INTEGRITY: GatewayErrorCode.INTEGRITY,
  NOT_FOUND: GatewayErrorCode.UPSTREAM,
  LOAD_FAILED: GatewayErrorCode.UPSTREAM,
  WORKER_CRASHED: GatewayErrorCode.UPSTREAM,
  CLOSED: GatewayErrorCode.UNAVAILABLE,
  CONFIG: GatewayErrorCode.INTERNAL,
};

const RUNNER_ERROR_MESSAGES: Readonly<Partial<Record<GatewayErrorCode, string>>> = {
  TIMEOUT: 'The extension did not answer in time.',
  CAPABILITY_DENIED: 'The extension called a capability its install was not granted.',
  INTEGRITY: 'The extension bundle failed its integrity check and was not run.',
  RATE_LIMITED: 'The extension is at its concurrency or quota limit; retry shortly.',
  RESPONSE_TOO_LARGE: 'The extension answered with more than the response size cap.',
  UPSTREAM: 'The extension failed while handling the request.',
  BAD_REQUEST: 'The runner refused the request as malformed.',
  PAYLOAD_TOO_LARGE: "The request body is larger than the install's request cap.",
  UNAVAILABLE: 'The runner is shutting down; retry shortly.',
  INTERNAL: 'The runner is misconfigured; the details are in its logs.',
};

/**
 * Creates the extension gateway: a web-standard `(Request) => Promise<Response>` that mounts
 * in any framework. Per request it resolves the caller, rate-limits, resolves the install,
 * matches the manifest's endpoints, caps sizes, runs the handler with a timeout and filters
 * the answer. Errors are JSON `{error: {code, message, requestId}}`.
 *
 * @example
 * ```ts
 * const gateway = createGateway({
 *   registry, // createRegistry(...)
 *   store, // the registry's RegistryStore
 *   runner, // createRunner(...) or new RemoteRunner(...)
 *   resolveIdentity: async (req) => {
 *     const session = await mySessions.fromRequest(req);
 *     return session ? { tenantId: session.tenant, actorId: session.user } : undefined;
 *   },
 * });
 * createServer(createNodeListener(gateway.fetch)).listen(3000);
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const limits: GatewayLimits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new GatewayError(
        GatewayErrorCode.CONFIG_INVALID,
        `limits.${name} must be a positive integer; got ${String(value)}.`,
      );
    }
  }
  const rateLimiter = options.rateLimiter ?? createRateLimiter();
  const dev = options.dev ?? false;
  const logger = options.logger;
  // A content hash names immutable content, so its parsed manifest can be kept for good.
  const manifests = new LRUCache<string, Manifest>({ max: 512 });

  async function manifestOf(install: GatewayInstall): Promise<Manifest> {
    const cached = manifests.get(install.contentHash);
    if (cached !== undefined) return cached;
    const version = await fromRegistry(
      options.store.getVersion(install.extensionId, install.version),
    );
    if (version === undefined || version.contentHash !== install.contentHash) {
      throw new GatewayError(
        GatewayErrorCode.UNAVAILABLE,
        `The registry has no version ${install.version} of ${install.extensionId} with the installed content hash.`,
      );
    }
    const manifest = parseManifest(version.manifest);
    manifests.set(install.contentHash, manifest);
    return manifest;
  }

  async function handle(request: Request, requestId: string, trace: Trace): Promise<Response> {
    const url = new URL(request.url);
    const route = parseExtensionRoute(url.pathname);
    if (route === undefined) {
      throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No gateway route matches this path.');
    }
    trace.kind = route.kind;
    trace.extensionId = route.extensionId;
    checkHeaderLimits(request.headers, limits);
    const identity = await options.resolveIdentity(request);
    if (identity === undefined) {
      throw new GatewayError(
        GatewayErrorCode.UNAUTHENTICATED,
        'The request carries no valid credentials for a tenant.',
      );
    }
    trace.tenantId = identity.tenantId;
    await enforceRate(rateLimiter.consumeTenant(identity.tenantId));
    const install = await fromRegistry(
      options.registry.resolveInstall(identity.tenantId, route.extensionId),
    );
    if (install === undefined) {
      throw new GatewayError(
        GatewayErrorCode.NOT_INSTALLED,
        `Extension ${route.extensionId} is not installed for this tenant.`,
      );
    }
    if (!install.enabled) {
      throw new GatewayError(
        GatewayErrorCode.EXTENSION_DISABLED,
        `Extension ${route.extensionId} is disabled for this tenant.`,
      );
    }
    await enforceRate(rateLimiter.consumeExtension(identity.tenantId, route.extensionId));
    const manifest = await manifestOf(install);
    const match = matchEndpoint(manifest, request.method, route.path);
    if (match === null) throw endpointNotFound(request.method, route, manifest, dev);
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? new Uint8Array(0)
        : await readBodyCapped(request, limits.maxRequestBodyBytes);
    trace.bodyRead = true;
    const inject: Record<string, string> = {
      'x-request-id': requestId,
      'x-alga-tenant': identity.tenantId,
      'x-ext-config-version': String(install.configVersion),
      'x-ext-secrets-version': String(install.secretsVersion),
    };
    if (identity.actorId !== undefined) inject['x-alga-actor'] = identity.actorId;
    const executeRequest: ExecuteRequest = {
      context: {
        requestId,
        tenantId: identity.tenantId,
        extensionId: install.extensionId,
        installId: install.installId,
        version: install.version,
        contentHash: install.contentHash,
      },
      http: {
        method: request.method,
        path: route.path,
        query: [...url.searchParams],
        headers: filterRequestHeaders(request.headers, inject),
        body,
        params: match.params,
        ...(match.endpoint.handler === undefined ? {} : { handler: match.endpoint.handler }),
        kind: route.kind,
      },
      // The runner's deadline is the gateway's: nobody waits for an answer after it, so the
      // guest is stopped then instead of holding an isolate until the runner's own default.
      limits: { timeoutMs: limits.timeoutMs },
      config: install.config,
      grants: install.grants,
      egress: install.egress,
      secretsVersion: install.secretsVersion,
      ...(install.secretEnvelope === undefined ? {} : { secretEnvelope: install.secretEnvelope }),
    };
    const answer = await executeWithTimeout(
      checkedForRunner(executeRequest, install, identity.actorId),
    );
    return toClientResponse(answer, requestId);
  }

  async function executeWithTimeout(request: ExecuteRequest): Promise<ExecuteResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GatewayError(
              GatewayErrorCode.TIMEOUT,
              `The extension did not answer within ${limits.timeoutMs} ms.`,
            ),
          ),
        limits.timeoutMs,
      );
    });
    try {
      return await Promise.race([options.runner.execute(request), timeout]);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError(GatewayErrorCode.UPSTREAM, 'The extension runner failed.', {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  function toClientResponse(answer: ExecuteResponse, requestId: string): Response {
    if (answer.error !== undefined) {
      const code = RUNNER_ERROR_CODES[answer.error.code] ?? GatewayErrorCode.UPSTREAM;
      throw new GatewayError(code, RUNNER_ERROR_MESSAGES[code] ?? 'The extension failed.', {
        details: { runnerCode: answer.error.code },
        ...(code === GatewayErrorCode.RATE_LIMITED ? { retryAfterSeconds: 1 } : {}),
      });
    }
    if (!Number.isInteger(answer.status) || answer.status < 200 || answer.status > 599) {
      throw new GatewayError(
        GatewayErrorCode.UPSTREAM,
        `The extension answered with status ${answer.status}, which is not between 200 and 599.`,
      );
    }
    if (answer.body.byteLength > limits.maxResponseBodyBytes) {
      throw new GatewayError(
        GatewayErrorCode.RESPONSE_TOO_LARGE,
        `The extension answered with ${answer.body.byteLength} bytes; at most ${limits.maxResponseBodyBytes} are passed on (limits.maxResponseBodyBytes).`,
      );
    }
    const headers = filterResponseHeaders(answer.headers, {
      maxHeaderCount: limits.maxHeaderCount,
      maxHeaderBytes: limits.maxHeaderBytes,
    });
    // The filter never passes these names on, so they are added, not replaced.
    headers.push(...baseHeaderPairs(requestId));
    const nullBody = answer.status === 204 || answer.status === 205 || answer.status === 304;
    return new Response(nullBody ? null : (answer.body as Uint8Array<ArrayBuffer>), {
      status: answer.status,
      headers,
    });
  }

  const events = new EventEmitter<GatewayEventMap>();
  const metrics = options.metrics === undefined ? undefined : gatewayMetrics(options.metrics);

  return {
    limits,
    events,
    async fetch(request) {
      const requestId = requestIdOf(request);
      const started = performance.now();
      const trace: Trace = {};
      let response: Response;
      let code: GatewayErrorCode | undefined;
      try {
        response = await handle(request, requestId, trace);
      } catch (caught) {
        code = asGatewayError(caught).code;
        response = answerError(caught, requestId, logger, 'gateway request');
        // Refused before its body was read: the rest of it may still be on the wire, so the
        // connection cannot carry another request.
        if (request.body !== null && trace.bodyRead !== true) {
          response.headers.set('connection', 'close');
        }
      }
      const durationMs = performance.now() - started;
      const kind = trace.kind ?? 'none';
      metrics?.requests.inc({ kind, status: String(response.status), code: code ?? 'ok' });
      metrics?.duration.observe({ kind }, durationMs / 1000);
      if (events.listenerCount('request') > 0) {
        events.emit('request', {
          requestId,
          method: request.method,
          kind,
          status: response.status,
          durationMs,
          ...(code === undefined ? {} : { code }),
          ...(trace.tenantId === undefined ? {} : { tenantId: trace.tenantId }),
          ...(trace.extensionId === undefined ? {} : { extensionId: trace.extensionId }),
        });
      }
      logger?.info(
        {
          requestId,
          kind,
          method: request.method,
          status: response.status,
          ...(code === undefined ? {} : { code }),
          durationMs: Math.round(durationMs),
        },
        'gateway request',
      );
      return response;
    },
  };
}

async function enforceRate(
  decision: Promise<Awaited<ReturnType<GatewayRateLimiter['consumeTenant']>>>,
): Promise<void> {
  const rejection = await decision;
  if (rejection === undefined) return;
  throw new GatewayError(
    GatewayErrorCode.RATE_LIMITED,
    rejection.scope === 'tenant'
      ? 'Too many requests for this tenant; retry after the time in retry-after.'
      : 'Too many requests for this extension; retry after the time in retry-after.',
    { retryAfterSeconds: rejection.retryAfterSeconds },
  );
}

/**
 * The registry's answer: `undefined` also when it throws that the thing does not exist (the
 * registry service throws `NOT_INSTALLED`, stores return `undefined`); any other failure is
 * `UNAVAILABLE`, so a database outage is a 503, never a 404.
 */
async function fromRegistry<T>(work: Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await work;
  } catch (cause) {
    if (
      cause instanceof RegistryError &&
      (cause.code === 'NOT_INSTALLED' || cause.code === 'NOT_FOUND')
    ) {
      return undefined;
    }
    if (cause instanceof GatewayError) throw cause;
    throw new GatewayError(
      GatewayErrorCode.UNAVAILABLE,
      'The registry is unavailable; retry shortly.',
      {
        cause,
      },
    );
  }
}

function endpointNotFound(
  method: string,
  route: ExtensionRoute,
  manifest: Manifest,
  dev: boolean,
): GatewayError {
  const message = `Extension ${route.extensionId} declares no endpoint for ${method} ${route.path}.`;
  if (!dev) return new GatewayError(GatewayErrorCode.ENDPOINT_NOT_FOUND, message);
  const endpoints = manifest.api.endpoints.map((e) => ({
    method: e.method,
    path: e.path,
  }));
  return new GatewayError(GatewayErrorCode.ENDPOINT_NOT_FOUND, message, { details: { endpoints } });
}
