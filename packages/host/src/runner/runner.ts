import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { DebugEvent, DebugStreamAdapter } from '../observability/debug-stream';
import { DebugStream, debugAdapterFromEnv } from '../observability/debug-stream';
import { RunnerEvents } from '../observability/events';
import { createPinoLogger, type RunnerLogger } from '../observability/logger';
import { createRunnerMetrics, type RunnerMetrics } from '../observability/metrics';
import { ExecutionRecorder, type ExecutionRecordSink } from '../observability/recorder';
import type { BundleStore } from '../store/types';
import type { TrustStore } from '../trust/trust';
import { type ComponentSource, Engine, type LoadHint, memoryPages } from './engine/engine';
import { createComponentLoader, type SignatureSource } from './engine/loader';
import { type LimitName, RUNNER_ERROR_STATUS, RunnerError } from './errors';
import { isolateEntries } from './internal/entries';
import { createLimitPolicy, effectiveLimits } from './limits';
import { type IsolateFactory, ThreadIsolate } from './pool/isolate';
import { IsolatePool, type PoolOutcome } from './pool/pool';
import { Scheduler } from './pool/scheduler';
import { ProcessIsolate } from './process/isolate';
import { createDefaultProviders, type DefaultProvidersOptions } from './providers/defaults';
import type { GuestLogLevel, ProviderContext, ProviderRegistry } from './providers/registry';
import { parseUnlessChecked } from './request';
import { ResponsePolicy } from './response-policy';
import type {
  ExecuteRequest,
  ExecuteResponse,
  InstancePolicy,
  IsolationMode,
  Runner,
  RunnerLimitOverrides,
  RunnerStats,
} from './types';
import type { WitIncomingRequest } from './worker/protocol';

/** Where tenant code runs, and how many isolates. */
export interface IsolationOptions {
  /** `worker` (default): worker threads in this process. `process`: child processes. */
  readonly mode?: IsolationMode;
  /** Invocations running at once. Default: available cores, at least 2. */
  readonly size?: number;
  /** Started isolates kept idle to replace a terminated one without a cold start. Default 1. */
  readonly spares?: number;
  /**
   * Milliseconds before an invocation's deadline at which, if it is still running, the isolate
   * that would replace it after the kill starts (one at a time; at most half the deadline ahead).
   * An invocation that then ends in time leaves one isolate over, which is stopped once idle.
   * `0`: replacements start at the kill. Default 250.
   */
  readonly replaceAheadMs?: number;
  /** Guest instances one isolate keeps (warm `reuse` instances and `fresh` spares). Default 16. */
  readonly maxInstancesPerIsolate?: number;
  /**
   * Scheduling niceness (0 to 19) of the threads and processes that run guest code. Default 10:
   * when the cores are busy, a guest yields to this process's event loop, which serves every
   * tenant and times their deadlines, instead of taking its core whenever it wakes. `0` keeps
   * the host's own priority. Worker threads are reniced on Linux only (elsewhere niceness
   * belongs to the whole process); child processes on every platform.
   */
  readonly niceness?: number;
}

/** Options of {@link createRunner}. */
export interface RunnerOptions extends DefaultProvidersOptions {
  /** Bundle bytes by content hash. Required unless `source` is given. */
  readonly store?: Pick<BundleStore, 'get'>;
  /** Keys accepted as bundle signers; every load is verified against it. Required unless `source` is given. */
  readonly trust?: TrustStore;
  /** Detached signatures by content hash (e.g. {@link signaturesFromRegistry}). Required unless `source` is given. */
  readonly signatures?: SignatureSource;
  /** Replaces the whole load path (fetch and verify); for hosts with their own bundle pipeline. */
  readonly source?: ComponentSource;
  /** Transpiled components are cached under `<dataDir>/transpiled`. Default `<tmpdir>/alga-runner`. */
  readonly dataDir?: string;
  readonly isolation?: IsolationOptions;
  /** Operator limits: defaults per install and the maximum an install's override may reach. */
  readonly limits?: {
    readonly defaults?: RunnerLimitOverrides;
    readonly max?: RunnerLimitOverrides;
  };
  /** Invocations waiting for a slot across the runner, and for how long. */
  readonly queue?: { readonly maxDepth?: number; readonly maxWaitMs?: number };
  /** Instance policy for installs whose request names none. Default `fresh`. */
  readonly instancePolicy?: InstancePolicy;
  /** Capability providers. Default: {@link createDefaultProviders} from these options. */
  readonly providers?: ProviderRegistry;
  /** Response headers a handler may set (`set-cookie` is never allowed). */
  readonly responseHeaders?: readonly string[];
  /** Structured logs. Default: pino at `info` on stdout. */
  readonly logger?: RunnerLogger;
  /** Prometheus registry for the runner's metrics. Default: a registry of its own. */
  readonly metricsRegistry?: Registry;
  /** Debug stream transport. Default: from `RUNNER_DEBUG_REDIS_URL`, else in process. */
  readonly debug?: DebugStreamAdapter;
  /** Where run records go (the registry store), written in batches off the request path. */
  readonly records?: ExecutionRecordSink;
}

/** A runner embedded in this process (worker threads or child processes). */
export interface EmbeddedRunner extends Runner {
  /** Typed events: `invocation:start`, `invocation:end`, `limit`, `denied`, `trap`, `isolate:replaced`, `program:loaded`. */
  readonly events: RunnerEvents;
  /** Live guest stdout, stderr and `log.emit` lines. */
  readonly debug: DebugStream;
  /** The runner's Prometheus metrics. */
  readonly metrics: RunnerMetrics;
  /** The capability providers serving host calls. */
  readonly providers: ProviderRegistry;
  /** Loads, verifies and compiles a bundle ahead of its first request (`hint` names whose it is). */
  warm(contentHash: string, hint?: LoadHint): Promise<void>;
}

/** Guest code runs below the host's priority by default (see {@link IsolationOptions.niceness}). */
const DEFAULT_NICENESS = 10;
/** About what a new isolate takes to serve on two cores (see {@link IsolationOptions.replaceAheadMs}). */
const DEFAULT_REPLACE_AHEAD_MS = 250;

function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function errorResponse(error: RunnerError): ExecuteResponse {
  return {
    status: RUNNER_ERROR_STATUS[error.code],
    headers: [['content-type', 'application/json']],
    body: encodeJson({ error: { code: error.code, message: error.message } }),
    error: {
      code: error.code,
      message: error.message,
      ...(error.limit === undefined ? {} : { limit: error.limit }),
    },
  };
}

function asRunnerError(error: unknown): RunnerError {
  if (error instanceof RunnerError) return error;
  return new RunnerError('LOAD_FAILED', 'the runner failed to run the handler', { cause: error });
}

function toWitRequest(request: ExecuteRequest): WitIncomingRequest {
  const { http } = request;
  return {
    method: http.method,
    path: http.path,
    query: http.query.map(([key, value]) => [key, value]),
    headers: http.headers.map(([name, value]) => ({ name, value })),
    body: http.body,
    params: Object.entries(http.params ?? {}),
    handler: http.handler,
    kind: http.kind,
  };
}

const NEVER_SETTLED =
  "the handler's promise never settled: the guest had nothing left to wait for (no timer pending; host calls do not suspend), so a promise in the handler is never resolved";

function memoryLimitError(memoryBytes: number): RunnerError {
  return new RunnerError(
    'MEMORY_LIMIT',
    `the handler ran out of memory at the cap of ${memoryBytes} bytes and was stopped`,
    { limit: 'memory' },
  );
}

function firstLine(text: string, max = 200): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Creates an embedded runner: verified load, jco transpile cached on disk, compiled modules
 * shared with a pool of isolates, per-invocation limits, capability providers, observability.
 *
 * @example
 * ```ts
 * const runner = createRunner({
 *   store: new FsBundleStore({ root: '/var/lib/alga/bundles' }),
 *   trust: loadTrustBundle('/etc/alga/trust.json'),
 *   signatures: signaturesFromRegistry(registryStore),
 *   secrets: { sealer },
 *   storage: { store: registryStore },
 *   records: registryStore,
 * });
 * const response = await runner.execute(request);
 * await runner.close();
 * ```
 */
export function createRunner(options: RunnerOptions): EmbeddedRunner {
  const source =
    options.source ??
    (() => {
      if (
        options.store === undefined ||
        options.trust === undefined ||
        options.signatures === undefined
      ) {
        throw new RunnerError(
          'CONFIG',
          'createRunner needs store, trust and signatures (or a source) to load bundles',
        );
      }
      return createComponentLoader({
        store: options.store,
        trust: options.trust,
        signatures: options.signatures,
      });
    })();
  const policy = createLimitPolicy(options.limits);
  const mode: IsolationMode = options.isolation?.mode ?? 'worker';
  const size = options.isolation?.size ?? Math.max(2, availableParallelism());
  const spares = options.isolation?.spares ?? 1;
  const niceness = options.isolation?.niceness ?? DEFAULT_NICENESS;
  const replaceAheadMs = options.isolation?.replaceAheadMs ?? DEFAULT_REPLACE_AHEAD_MS;
  if (!Number.isInteger(replaceAheadMs) || replaceAheadMs < 0) {
    throw new RunnerError(
      'CONFIG',
      `isolation.replaceAheadMs must be a non-negative integer, got ${String(replaceAheadMs)}`,
    );
  }
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
    throw new RunnerError(
      'CONFIG',
      `isolation.niceness must be an integer from 0 to 19, got ${String(niceness)}`,
    );
  }
  const defaultPolicy = options.instancePolicy ?? 'fresh';
  const logger = options.logger ?? createPinoLogger();
  const metrics = createRunnerMetrics(options.metricsRegistry, () => ({
    alive: livePool?.size ?? 0,
    busy: livePool?.busy ?? 0,
    queued: scheduler.depth,
  }));
  const events = new RunnerEvents();
  const debug = new DebugStream(options.debug ?? debugAdapterFromEnv());
  const providers =
    options.providers ?? createDefaultProviders({ ...options, metricsRegistry: metrics.registry });
  const responsePolicy = new ResponsePolicy(options.responseHeaders);
  const recorder =
    options.records === undefined
      ? undefined
      : new ExecutionRecorder({ sink: options.records, logger });
  const dataDir = options.dataDir ?? join(tmpdir(), 'alga-runner');
  const engine = new Engine({
    dataDir,
    source,
    onLoaded: (loaded) => {
      metrics.programLoad.observe({ origin: loaded.origin }, loaded.totalMs / 1000);
      events.emit('program:loaded', loaded);
    },
  });
  const scheduler = new Scheduler({
    slots: size,
    maxQueue: options.queue?.maxDepth ?? 256,
    maxWaitMs: options.queue?.maxWaitMs ?? 30_000,
  });
  // Bound once per label set: labelling on every observation hashes the labels each time.
  const memoryHistogram = metrics.memory.labels({ mode });
  const durations = new Map<string, ReturnType<typeof metrics.duration.labels>>();
  const durationOf = (outcome: string) => {
    let child = durations.get(outcome);
    if (child === undefined) {
      child = metrics.duration.labels({ outcome, mode });
      durations.set(outcome, child);
    }
    return child;
  };
  let total = 0;
  let failed = 0;
  let closed = false;

  const boot = {
    interfaces: providers.interfaces(),
    maxInstances: options.isolation?.maxInstancesPerIsolate ?? 16,
    codeCacheDir: join(dataDir, 'transpiled', 'code-cache'),
    niceness,
  };
  const poolPromise = isolateEntries().then((entries) => {
    const factory: IsolateFactory =
      mode === 'process'
        ? (isolateBoot) => new ProcessIsolate(entries.process, entries.worker, isolateBoot)
        : (isolateBoot) => new ThreadIsolate(entries.worker, isolateBoot);
    return new IsolatePool({
      factory,
      boot,
      size,
      spares,
      replaceAheadMs,
      onReplace: (reason) => {
        const kind = reason === 'terminated' ? 'timeout' : 'crash';
        metrics.replacements.inc({ reason: kind });
        events.emit('isolate:replaced', { mode, reason });
        logger.warn({ mode, reason }, 'isolate replaced');
      },
      onStandby: (outcome) => metrics.standbys.inc({ outcome }),
    });
  });
  let livePool: IsolatePool | undefined;
  poolPromise.then(
    (pool) => {
      livePool = pool;
    },
    (error: unknown) =>
      logger.error({ err: (error as Error).message }, 'runner pool failed to start'),
  );

  async function run(request: ExecuteRequest, started: number) {
    const { context } = request;
    const limits = effectiveLimits(policy, request.limits);
    const instancePolicy = request.instancePolicy ?? defaultPolicy;
    const ids = {
      requestId: context.requestId,
      tenantId: context.tenantId,
      extensionId: context.extensionId,
      installId: context.installId,
      version: context.version,
      contentHash: context.contentHash,
    };
    let memoryBytes = 0;
    let instantiateMs = 0;
    const egress = { sent: 0, received: 0 };
    let denied: string | undefined;
    let logLeft = limits.maxLogBytes;
    let logLimitReported = false;

    const reportLimit = (limit: LimitName, message: string) => {
      metrics.limits.inc({ limit });
      events.emit('limit', { context, limit, message });
      logger.warn({ ...ids, limit }, message);
    };
    const logCapReached = () => {
      if (logLimitReported) return;
      logLimitReported = true;
      reportLimit(
        'log-size',
        `guest output passed the log cap of ${limits.maxLogBytes} bytes; the rest is dropped`,
      );
    };
    const guestLine = (
      stream: DebugEvent['stream'],
      level: GuestLogLevel,
      message: string,
      fields?: Readonly<Record<string, unknown>>,
    ) => {
      const size = message.length + (fields === undefined ? 0 : JSON.stringify(fields).length);
      if (size > logLeft) {
        logLeft = 0;
        logCapReached();
        return;
      }
      logLeft -= size;
      const event: DebugEvent = {
        at: Date.now(),
        ...ids,
        stream,
        level,
        message,
        ...(fields === undefined ? {} : { fields }),
      };
      debug.publish(event);
      logger[level](
        { ...ids, guest: stream, ...(fields === undefined ? {} : { fields }) },
        message,
      );
    };

    const finish = (response: ExecuteResponse): ExecuteResponse => {
      const durationMs = performance.now() - started;
      const outcome = response.error?.code ?? 'ok';
      total++;
      if (response.error !== undefined) {
        failed++;
        metrics.errors.inc({ code: response.error.code });
      }
      durationOf(outcome).observe(durationMs / 1000);
      if (memoryBytes > 0) memoryHistogram.observe(memoryBytes);
      if (egress.sent > 0) metrics.egressBytes.inc({ direction: 'out' }, egress.sent);
      if (egress.received > 0) metrics.egressBytes.inc({ direction: 'in' }, egress.received);
      if (events.listenerCount('invocation:end') > 0)
        events.emit('invocation:end', {
          context,
          outcome,
          status: response.status,
          durationMs,
          memoryBytes,
          egress: { ...egress },
          instantiateMs,
          policy: instancePolicy,
          mode,
        });
      logger.info(
        {
          ...ids,
          outcome,
          status: response.status,
          durationMs: Math.round(durationMs * 1000) / 1000,
        },
        'invocation',
      );
      recorder?.record({
        ...ids,
        startedAt: new Date(Date.now() - durationMs).toISOString(),
        durationMs,
        status: response.status,
        outcome,
        memoryBytes,
        egressBytes: egress.sent + egress.received,
      });
      return response;
    };

    const fail = (error: RunnerError): ExecuteResponse => {
      if (error.limit !== undefined) reportLimit(error.limit, error.message);
      if (error.code === 'TIMEOUT') metrics.timeouts.inc();
      return finish(errorResponse(error));
    };

    if (events.listenerCount('invocation:start') > 0)
      events.emit('invocation:start', {
        context,
        method: request.http.method,
        path: request.http.path,
        kind: request.http.kind,
      });
    try {
      if (request.http.body.byteLength > limits.maxRequestBytes) {
        throw new RunnerError(
          'REQUEST_TOO_LARGE',
          `the request body is ${request.http.body.byteLength} bytes, over the cap of ${limits.maxRequestBytes}`,
          { limit: 'request-size' },
        );
      }
      const pool = await poolPromise;
      const program = await engine.program(context.contentHash, memoryPages(limits.memoryBytes), {
        extensionId: context.extensionId,
        version: context.version,
      });
      if (program.extensionId !== context.extensionId || program.version !== context.version) {
        throw new RunnerError(
          'INTEGRITY',
          `bundle ${context.contentHash} is ${program.extensionId}@${program.version}, not ${context.extensionId}@${context.version}`,
        );
      }
      const release = await scheduler.acquire({
        tenantId: context.tenantId,
        extensionId: context.extensionId,
        maxConcurrencyPerTenant: limits.maxConcurrencyPerTenant,
        maxConcurrencyPerExtension: limits.maxConcurrencyPerExtension,
        maxQueuedPerKey: limits.maxQueuedPerKey,
      });
      let outcome: PoolOutcome;
      try {
        const deadline = Date.now() + limits.timeoutMs;
        outcome = await pool.run({
          program,
          timeoutMs: limits.timeoutMs,
          message: {
            programId: program.id,
            installKey: `${context.tenantId}\u0000${context.installId}`,
            policy: instancePolicy,
            maxRequestsPerInstance: limits.maxRequestsPerInstance,
            maxResponseBytes: limits.maxResponseBytes,
            maxStdioBytes: limits.maxLogBytes,
            request: toWitRequest(request),
          },
          onStdio: (stream, text, truncated) => {
            for (const line of text.split('\n')) {
              if (line !== '') guestLine(stream, stream === 'stderr' ? 'warn' : 'info', line);
            }
            if (truncated) logCapReached();
          },
          onCall: (iface, fn, args, signal) => {
            const providerContext: ProviderContext = {
              invocation: context,
              config: request.config,
              grants: new Set(request.grants),
              egress: request.egress,
              secretEnvelope: request.secretEnvelope,
              secretsVersion: request.secretsVersion ?? 0,
              signal,
              deadline,
              log: (level, message, fields) => guestLine('log', level, message, fields),
              countEgress: (sent, received) => {
                egress.sent += sent;
                egress.received += received;
              },
            };
            return providers.call(iface, fn, args, providerContext, {
              denied: (capability) => {
                denied = capability;
                metrics.denials.inc({ capability });
                events.emit('denied', { context, capability });
                logger.info({ ...ids, capability }, 'capability denied');
              },
              limit: (limit, message) => reportLimit(limit, message),
              failed: (capability, error) => {
                logger.error(
                  { ...ids, capability, err: (error as Error).message },
                  'capability provider failed',
                );
              },
            });
          },
        });
      } finally {
        release();
      }
      if (outcome.kind === 'timeout') {
        throw new RunnerError(
          'TIMEOUT',
          `the handler ran past its ${limits.timeoutMs} ms deadline and was stopped`,
          {
            limit: 'timeout',
          },
        );
      }
      if (outcome.kind === 'crashed') {
        throw new RunnerError(
          'WORKER_CRASHED',
          `the isolate running the handler died (${outcome.reason})`,
        );
      }
      const done = outcome.done;
      memoryBytes = done.memoryBytes;
      instantiateMs = done.instantiateMs;
      switch (done.outcome.kind) {
        case 'ok':
          if (done.outcome.memoryExhausted && done.outcome.response.status >= 500) {
            // The guest caught its own out-of-memory error and answered 5xx: report the limit.
            throw memoryLimitError(limits.memoryBytes);
          }
          return finish(responsePolicy.apply(done.outcome.response));
        case 'too-large':
          throw new RunnerError(
            'RESPONSE_TOO_LARGE',
            `the handler's response is ${done.outcome.bytes} bytes, over the cap of ${limits.maxResponseBytes}`,
            { limit: 'response-size' },
          );
        case 'trap': {
          const trap = done.outcome.neverSettled ? NEVER_SETTLED : firstLine(done.outcome.message);
          events.emit('trap', { context, message: trap, memoryLimit: done.outcome.memoryLimit });
          if (done.outcome.memoryLimit) throw memoryLimitError(limits.memoryBytes);
          if (denied !== undefined) {
            throw new RunnerError(
              'CAPABILITY_DENIED',
              `the handler called ${denied}, which this install was not granted`,
            );
          }
          throw new RunnerError(
            'TRAP',
            done.outcome.neverSettled ? NEVER_SETTLED : `the handler trapped: ${trap}`,
          );
        }
        case 'failed':
          throw new RunnerError(
            'LOAD_FAILED',
            `the component could not be instantiated: ${firstLine(done.outcome.message)}`,
          );
        default:
          return done.outcome satisfies never;
      }
    } catch (error) {
      const runnerError = asRunnerError(error);
      if (
        runnerError.code === 'LOAD_FAILED' ||
        runnerError.code === 'INTEGRITY' ||
        runnerError.code === 'NOT_FOUND'
      ) {
        logger.error(
          { ...ids, code: runnerError.code, err: runnerError.message },
          'component load failed',
        );
      }
      return fail(runnerError);
    }
  }

  return {
    events,
    debug,
    metrics,
    providers,
    async execute(input) {
      const started = performance.now();
      if (closed) return errorResponse(new RunnerError('CLOSED', 'the runner is closed'));
      let request: ExecuteRequest;
      try {
        request = parseUnlessChecked(input);
      } catch (error) {
        return errorResponse(asRunnerError(error));
      }
      return run(request, started);
    },
    async warm(contentHash, hint) {
      const program = await engine.program(
        contentHash,
        memoryPages(policy.defaults.memoryBytes),
        hint,
      );
      const pool = await poolPromise;
      await pool.ready();
      pool.preload(program);
    },
    stats(): RunnerStats {
      return {
        mode,
        pool: {
          size: livePool?.size ?? 0,
          busy: livePool?.busy ?? 0,
          replaced: livePool?.replaced ?? 0,
        },
        queueDepth: scheduler.depth,
        programs: engine.size,
        invocations: { total, failed },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      scheduler.close();
      const pool = await poolPromise.catch(() => undefined);
      await pool?.close();
      await recorder?.close();
      await debug.close();
      await engine.flush();
    },
  };
}
