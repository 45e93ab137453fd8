import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { collectDefaultMetrics, Registry as PromRegistry } from 'prom-client';
import { createNodeListener } from '../gateway/adapters';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import { createGateway, type Gateway } from '../gateway/gateway';
import {
  answerError,
  errorResponse,
  type GatewayLogger,
  jsonResponse,
  requestIdOf,
} from '../gateway/http';
import { createRateLimiter } from '../gateway/rate-limit';
import { type DebugFilter, DebugStream, debugAdapterFromEnv } from '../observability/debug-stream';
import { createRegistry, type Registry } from '../registry/registry';
import { SqliteRegistryStore } from '../registry/sql/sqlite-store';
import { signaturesFromRegistry } from '../runner/engine/loader';
import { createRunner } from '../runner/runner';
import type { Runner } from '../runner/types';
import { AesGcmSealer } from '../secrets/aes-gcm';
import { KeyProvider } from '../secrets/key-provider';
import { FsBundleStore } from '../store/fs-store';
import { createTrustSource, loadTrustBundle, type TrustStore } from '../trust/trust';
import { createUiAssetServer } from '../ui-assets/handler';
import { createAdminApi } from './admin';
import { bearerToken, hasBearer } from './auth';
import { type HostSettings, type HostSettingsInput, parseHostSettings } from './config';
import { RemoteRunner } from './remote-runner';
import { createRunnerService, type ServedRunner } from './runner-service';
import { TenantKeyStore } from './tenants';

const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_INTERVAL_MS = 250;

/** Resolves once every line logged so far has been handed to the destination's descriptor. */
function flushed(destination: ReturnType<typeof pino.destination> | undefined): Promise<void> {
  if (destination === undefined) return Promise.resolve();
  // The callback's error is fsync's: stdout is a pipe, a terminal or /dev/null, none of which
  // fsync, and the lines were written before it ran.
  return new Promise((resolve) => destination.flush(() => resolve()));
}

/** Options of {@link createEmbeddedHost}: the host settings, plus what only code can give. */
export interface EmbeddedHostOptions extends HostSettingsInput {
  /** Where the host logs (JSON lines). Default: pino at `info` on stdout. */
  logger?: pino.Logger;
}

/** What loading the installed extensions at start did. */
export interface StartupWarmReport {
  /** Distinct programs (content hashes) of enabled installs. */
  readonly programs: number;
  /** Programs that did not load (each logged at `warn`); their requests try again. */
  readonly failed: number;
  /** Wall time of the startup load, in milliseconds. */
  readonly durationMs: number;
}

/** A running embedded host. */
export interface EmbeddedHost {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The admin bearer token (generated when none was configured). */
  readonly adminToken: string;
  /** True when {@link EmbeddedHost.adminToken} was generated at start. */
  readonly adminTokenGenerated: boolean;
  /** The validated settings it runs with. */
  readonly settings: HostSettings;
  /** The registry service (publish, install, settings). */
  readonly registry: Registry;
  /** The registry store (SQLite under the data folder). */
  readonly store: SqliteRegistryStore;
  /** The bundle store (files under `<data>/bundles`). */
  readonly bundles: FsBundleStore;
  /** The runner: embedded worker runner, or a `RemoteRunner` when `RUNNER_BASE_URL` is set. */
  readonly runner: Runner;
  /** The gateway serving `/api/ext/...` and `/api/ext-proxy/...`. */
  readonly gateway: Gateway;
  /**
   * Settles (never rejects) once the extensions installed when the host started are loaded
   * (`warmOnStart`, on by default): requests meanwhile are served as usual, a program still
   * loading is waited for, not loaded twice.
   */
  readonly warmed: Promise<StartupWarmReport>;
  /** The whole host as a web-standard handler (what the HTTP server calls). */
  fetch(request: Request): Promise<Response>;
  /**
   * Graceful shutdown: stops accepting connections, answers 503 to new requests on open
   * ones, waits for in-flight requests up to `shutdownTimeoutMs`, then closes the runner
   * and the stores. Idempotent.
   */
  close(): Promise<void>;
}

const ADMIN_TOKEN_PREFIX = 'alga_at_';
const NOTHING_WARMED: StartupWarmReport = { programs: 0, failed: 0, durationMs: 0 };

async function ensureSecretsKey(dataDir: string): Promise<string> {
  const path = join(dataDir, 'secrets.key');
  if (!existsSync(path)) {
    const kid = `embedded-${new Date().toISOString().slice(0, 10)}`;
    const text = `# Sealing key of this embedded host's install secrets. Back it up; never share it.\n${kid}:${randomBytes(32).toString('base64')}\n`;
    try {
      await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return path;
}

function openTrust(settings: HostSettings, logger: pino.Logger): TrustStore & { close(): void } {
  const configured = settings.trust ?? join(settings.dataDir, 'trust.json');
  if (settings.trust === undefined && !existsSync(configured)) {
    logger.warn(
      { setting: '--trust / SIGNING_TRUST_BUNDLE' },
      'no trust bundle configured: every publish will be refused until one is given',
    );
    return Object.assign(loadTrustBundle({ keys: [] }), { close: () => undefined });
  }
  return createTrustSource({
    path: configured,
    onReload: () => logger.info({ source: configured }, 'trust bundle reloaded'),
    onError: (error) =>
      logger.error({ code: error.code, source: configured }, 'trust bundle reload failed'),
  });
}

/**
 * Starts a complete Alga host on one port with the embedded defaults: SQLite registry,
 * filesystem bundle store, worker runner (or a remote one), gateway, UI assets, the admin API,
 * `/healthz`, `/metrics` and the admin-only debug stream. `alga serve` is a thin wrapper.
 *
 * @example
 * ```ts
 * const host = await createEmbeddedHost({ dataDir: './.alga', port: 3000, trust: 'trust.json' });
 * console.log(host.url, host.adminToken);
 * process.on('SIGTERM', () => void host.close());
 * ```
 */
export async function createEmbeddedHost(options: EmbeddedHostOptions): Promise<EmbeddedHost> {
  const { logger: givenLogger, ...input } = options;
  const settings = parseHostSettings(input);
  // Buffered and written off the event loop: two lines per request written synchronously cost
  // the main thread about 40 us of every request under load. Lines wait at most
  // LOG_FLUSH_INTERVAL_MS, pino writes what is left when the process exits, and the start and
  // stop lines are flushed before this function and close() resolve, so the CLI's banner never
  // overtakes them.
  const destination =
    givenLogger === undefined
      ? pino.destination({
          dest: 1,
          sync: false,
          minLength: LOG_BUFFER_BYTES,
          periodicFlush: LOG_FLUSH_INTERVAL_MS,
        })
      : undefined;
  const logger =
    givenLogger ?? pino({ level: 'info', base: { component: 'alga-host' } }, destination);
  const dataDir = resolve(settings.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const resolved: HostSettings = { ...settings, dataDir };

  const trust = openTrust(resolved, logger);
  const keys =
    settings.secretsKey === undefined
      ? await KeyProvider.fromFile(await ensureSecretsKey(dataDir))
      : KeyProvider.fromEnv('ALGA_SECRETS_KEY', { ALGA_SECRETS_KEY: settings.secretsKey });
  const sealer = new AesGcmSealer(keys);
  const store = new SqliteRegistryStore({ dataDir });
  await store.open();
  const bundles = new FsBundleStore({ root: join(dataDir, 'bundles') });
  const registry = createRegistry({ store, bundles, trust, sealer, logger });
  const tenants = await TenantKeyStore.open(join(dataDir, 'tenants.json'));
  const metrics = new PromRegistry();
  collectDefaultMetrics({ register: metrics });

  const embeddedRunner =
    settings.runnerBaseUrl === undefined
      ? createRunner({
          store: bundles,
          trust,
          signatures: signaturesFromRegistry(store),
          dataDir: join(dataDir, 'runner'),
          secrets: { sealer },
          storage: { store },
          http: { allow: settings.egressAllowlist ?? [] },
          instancePolicy: settings.instancePolicy,
          records: store,
          logger,
          metricsRegistry: metrics,
        })
      : undefined;
  const runner: Runner & Pick<ServedRunner, 'warm'> =
    embeddedRunner ??
    new RemoteRunner({
      baseUrl: settings.runnerBaseUrl as string,
      authToken: settings.runnerAuthToken as string,
    });
  const debug = embeddedRunner?.debug ?? new DebugStream(debugAdapterFromEnv());

  const redis =
    settings.rateLimitRedisUrl === undefined
      ? undefined
      : new Redis(settings.rateLimitRedisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        });
  redis?.on('error', (error) => logger.warn({ err: error.message }, 'rate-limit Redis error'));
  const rateLimiter = createRateLimiter({
    ...(settings.rateLimitTenant === undefined ? {} : { perTenant: settings.rateLimitTenant }),
    ...(settings.rateLimitExtension === undefined
      ? {}
      : { perExtension: settings.rateLimitExtension }),
    ...(redis === undefined ? {} : { redis }),
  });
  const gateway = createGateway({
    registry,
    store,
    runner,
    rateLimiter,
    dev: settings.dev,
    logger: logger as GatewayLogger,
    metrics,
    limits: {
      timeoutMs: settings.gatewayTimeoutMs,
      maxRequestBodyBytes: settings.maxRequestBodyBytes,
      maxResponseBodyBytes: settings.maxResponseBodyBytes,
    },
    resolveIdentity: (request) => {
      const key = bearerToken(request);
      const tenantId = key === undefined ? undefined : tenants.tenantOf(key);
      return tenantId === undefined ? undefined : { tenantId };
    },
  });

  const generated = settings.adminToken === undefined;
  const adminToken =
    settings.adminToken ?? `${ADMIN_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

  let inFlight = 0;
  let closing = false;
  const drained: Array<() => void> = [];
  const streams = new Set<() => void>();
  let app: Hono | undefined;

  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const publicBase = settings.publicBase ?? url;

  const assets = createUiAssetServer({
    store,
    bundles,
    trust,
    frameAncestors: settings.frameAncestors ?? ["'self'", url],
    logger: logger as GatewayLogger,
  });
  app = new Hono();
  app.get('/healthz', (c) =>
    jsonResponse(
      { status: closing ? 'draining' : 'ok' },
      closing ? 503 : 200,
      requestIdOf(c.req.raw),
    ),
  );
  // Liveness says the process answers; readiness also waits for the startup load, so a load
  // balancer that probes it holds traffic until the installed extensions answer warm.
  app.get('/readyz', (c) => {
    const status = closing ? 'draining' : startupLoaded ? 'ready' : 'loading';
    return jsonResponse({ status }, status === 'ready' ? 200 : 503, requestIdOf(c.req.raw));
  });
  app.get(
    '/metrics',
    async () =>
      new Response(await metrics.metrics(), { headers: { 'content-type': metrics.contentType } }),
  );
  app.get('/api/ext-debug/stream', (c) => {
    if (!hasBearer(c.req.raw, adminToken)) {
      throw new GatewayError(
        GatewayErrorCode.UNAUTHENTICATED,
        'The debug stream needs authorization: Bearer <admin token>.',
      );
    }
    const tenantId = c.req.query('tenant');
    const extensionId = c.req.query('extension');
    const requestId = c.req.query('requestId');
    const filter: DebugFilter = {
      ...(tenantId === undefined ? {} : { tenantId }),
      ...(extensionId === undefined ? {} : { extensionId }),
      ...(requestId === undefined ? {} : { requestId }),
    };
    return streamSSE(c, async (stream) => {
      const subscription = debug.subscribe(filter);
      const stop = () => subscription.close();
      streams.add(stop);
      stream.onAbort(stop);
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ filter }) });
      for await (const event of subscription) {
        await stream.writeSSE({ event: 'debug', data: JSON.stringify(event) });
      }
      streams.delete(stop);
    });
  });
  if (settings.runnerAuthToken !== undefined && embeddedRunner !== undefined) {
    const service = createRunnerService({
      runner: embeddedRunner,
      authToken: settings.runnerAuthToken,
      logger: logger as GatewayLogger,
    });
    app.all('/v1/*', (c) => service.fetch(c.req.raw));
  }
  app.route(
    '/',
    createAdminApi({
      registry,
      tenants,
      adminToken,
      publicBase,
      logger: logger as GatewayLogger,
      warm: (install) =>
        runner.warm(install.contentHash, {
          extensionId: install.extensionId,
          version: install.version,
        }),
    }),
  );
  app.all('/api/ext/*', (c) => gateway.fetch(c.req.raw));
  app.all('/api/ext-proxy/*', (c) => gateway.fetch(c.req.raw));
  app.on(['GET', 'HEAD'], '/ext-ui/*', (c) => assets.fetch(c.req.raw));
  app.notFound((c) =>
    errorResponse(
      new GatewayError(GatewayErrorCode.NOT_FOUND, 'Nothing is served at this path.'),
      requestIdOf(c.req.raw),
    ),
  );
  app.onError((error, c) =>
    answerError(error, requestIdOf(c.req.raw), logger as GatewayLogger, 'host request'),
  );

  const fetch = async (request: Request): Promise<Response> => {
    if (closing || app === undefined) {
      const response = errorResponse(
        new GatewayError(GatewayErrorCode.UNAVAILABLE, 'The host is shutting down.'),
        requestIdOf(request),
      );
      response.headers.set('connection', 'close');
      return response;
    }
    return app.fetch(request);
  };
  const listener = createNodeListener(fetch);
  server.on('request', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    inFlight += 1;
    outgoing.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const done of drained.splice(0)) done();
    });
    void listener(incoming, outgoing);
  });

  let warmed: Promise<StartupWarmReport> = Promise.resolve(NOTHING_WARMED);
  let startupLoaded = false;
  /**
   * One program at a time, so a restart with many installs leaves CPU for the requests that
   * arrive meanwhile; a failure is logged and skipped, never fatal.
   */
  const warmInstalled = async (): Promise<StartupWarmReport> => {
    const started = performance.now();
    const programs = new Map<string, { extensionId: string; version: string }>();
    let failed = 0;
    try {
      for (const install of await store.listInstalls({})) {
        if (install.enabled && !programs.has(install.contentHash)) {
          programs.set(install.contentHash, {
            extensionId: install.extensionId,
            version: install.version,
          });
        }
      }
      for (const [contentHash, program] of programs) {
        if (closing) break;
        try {
          await runner.warm(contentHash, program);
        } catch (error) {
          if (closing) break;
          failed += 1;
          logger.warn(
            { ...program, contentHash, err: (error as Error).message },
            'an installed extension did not load at start; its requests will load it again',
          );
        }
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'could not list the installs to load');
    }
    const report = {
      programs: programs.size,
      failed,
      durationMs: Math.round(performance.now() - started),
    };
    if (!closing && report.programs > 0) logger.info(report, 'installed extensions loaded');
    return report;
  };

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      for (const stop of streams) stop();
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((done) => drained.push(done)),
          new Promise<void>((done) => setTimeout(done, settings.shutdownTimeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      // The load under way, if any, ends before the runner it loads into.
      await warmed;
      await runner.close();
      if (embeddedRunner === undefined) await debug.close();
      trust.close();
      redis?.disconnect();
      await store.close();
      logger.info({ url }, 'host stopped');
      await flushed(destination);
    })();
    return closed;
  };

  logger.info(
    { url, publicBase, dataDir, runner: settings.runnerBaseUrl ?? 'embedded' },
    'host started',
  );
  await flushed(destination);
  warmed = (settings.warmOnStart ? warmInstalled() : Promise.resolve(NOTHING_WARMED)).then(
    (report) => {
      startupLoaded = true;
      return report;
    },
  );
  return {
    url,
    adminToken,
    adminTokenGenerated: generated,
    settings: resolved,
    registry,
    store,
    bundles,
    runner,
    gateway,
    warmed,
    fetch,
    close,
  };
}
