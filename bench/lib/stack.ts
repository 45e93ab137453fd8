import { join } from 'node:path';
import {
  createGateway,
  createPinoLogger,
  createRateLimiter,
  createRunner,
  type EmbeddedRunner,
  type ExecuteRequest,
  type Gateway,
  type InstancePolicy,
  type PackedBundle,
  packBundle,
  type RunnerOptions,
  signaturesFromRegistry,
} from '@alga/host';
import { ADMIN, type BenchHost, createBenchHost, type Fixture } from './fixtures';
import { BENCH_DIR } from './report';

/** The runner data folder benches share, so warm figures never include a transpile. */
export const RUNNER_CACHE = join(BENCH_DIR, 'node_modules', '.cache', 'alga', 'runner');

/** Options of {@link createBenchStack}. */
export interface StackOptions {
  readonly policy: InstancePolicy;
  /** Isolates running invocations at once (default 2: the cores of the bench machine). */
  readonly size?: number;
  readonly spares?: number;
  /** How long before a deadline the replacement of a still running isolate starts (runner default). */
  readonly replaceAheadMs?: number;
  /** The runner's deadline per invocation (its default limit). Default 10 s. */
  readonly timeoutMs?: number;
  /** The gateway's own deadline. Default: `timeoutMs`. */
  readonly gatewayTimeoutMs?: number;
  /** The runner's memory cap per guest. */
  readonly memoryBytes?: number;
  /**
   * Where the runner keeps transpiled components. Default: `bench/node_modules/.cache/alga/runner`,
   * shared by runs (bundles pack deterministically, so their hashes and transpiles repeat).
   */
  readonly dataDir?: string;
  /** Extra runner options (providers' settings). */
  readonly runner?: Partial<RunnerOptions>;
}

/** A registry, a worker runner and a gateway in this process, as an embedding host wires them. */
export interface BenchStack {
  readonly host: BenchHost;
  readonly runner: EmbeddedRunner;
  readonly gateway: Gateway;
  /** A gateway request for `path` below `/api/ext/<extensionId>`, as tenant `tenantId`. */
  request(extensionId: string, path: string, init?: RequestInit & { tenantId?: string }): Request;
  close(): Promise<void>;
}

/** The header the bench's identity resolver reads the tenant from. */
const TENANT_HEADER = 'x-bench-tenant';

/** Builds a {@link BenchStack} over `host` (a new one when not given). */
export async function createBenchStack(
  options: StackOptions,
  given?: BenchHost,
): Promise<BenchStack> {
  const host = given ?? (await createBenchHost());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const runner = createRunner({
    store: host.bundles,
    trust: host.trust,
    signatures: signaturesFromRegistry(host.store),
    dataDir: options.dataDir ?? RUNNER_CACHE,
    isolation: {
      mode: 'worker',
      size: options.size ?? 2,
      spares: options.spares ?? 1,
      ...(options.replaceAheadMs === undefined ? {} : { replaceAheadMs: options.replaceAheadMs }),
    },
    instancePolicy: options.policy,
    limits: {
      defaults: {
        timeoutMs,
        ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      },
    },
    // Benches measure the path, not log writing (the throughput bench keeps serve's own logs).
    logger: createPinoLogger('silent'),
    secrets: { sealer: host.sealer },
    storage: { store: host.store },
    // The operator allows any host; each install's own egress list (from its manifest) decides.
    http: { allow: ['*'], allowHttp: true, allowPrivateNetworks: true },
    ...options.runner,
  });
  // Rate limits stay on (their cost is part of the path) but far above any bench's rate.
  const unlimited = { points: 1_000_000_000, durationSeconds: 1 };
  const gateway = createGateway({
    registry: host.registry,
    store: host.store,
    runner,
    rateLimiter: createRateLimiter({ perTenant: unlimited, perExtension: unlimited }),
    limits: { timeoutMs: options.gatewayTimeoutMs ?? timeoutMs },
    resolveIdentity: (request) => ({ tenantId: request.headers.get(TENANT_HEADER) ?? 'bench' }),
  });
  return {
    host,
    runner,
    gateway,
    request(extensionId, path, init = {}) {
      const { tenantId, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set(TENANT_HEADER, tenantId ?? 'bench');
      return new Request(`http://bench.local/api/ext/${extensionId}${path}`, { ...rest, headers });
    },
    async close() {
      await runner.close();
      if (given === undefined) await host.close();
    },
  };
}

/**
 * Publishes `component` with `fixture`'s manifest as version `version`, installs it for a new
 * tenant `tenantId`, and times publish and install, then its first `/noop` through the gateway.
 */
export async function publishAndCall(
  stack: BenchStack,
  fixture: Fixture,
  component: Uint8Array,
  version: string,
  tenantId: string,
): Promise<{ packed: PackedBundle; publishMs: number; firstResponseMs: number }> {
  const packed = await packBundle({
    'manifest.json': new TextEncoder().encode(JSON.stringify({ ...fixture.manifest, version })),
    'dist/component.wasm': component,
  });
  let started = performance.now();
  const published = await stack.host.publish(packed);
  await stack.host.registry.install(tenantId, published.extensionId, { version, actor: ADMIN });
  const publishMs = performance.now() - started;
  started = performance.now();
  const response = await stack.gateway.fetch(
    stack.request(published.extensionId, '/noop', { tenantId }),
  );
  await response.arrayBuffer();
  const firstResponseMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`cold request answered ${response.status}`);
  return { packed, publishMs, firstResponseMs };
}

/** A runner request for `path` (with its `?query`) of an extension, as the gateway would build it. */
export function executeRequest(
  ext: { extensionId: string; version: string; contentHash: string },
  path: string,
  options: { installId?: string; timeoutMs?: number; body?: Uint8Array; handler?: string } = {},
): ExecuteRequest {
  const [pathname = '/', search = ''] = path.split('?');
  return {
    context: {
      requestId: crypto.randomUUID(),
      tenantId: 'bench',
      extensionId: ext.extensionId,
      installId: options.installId ?? 'bench-runner',
      version: ext.version,
      contentHash: ext.contentHash,
    },
    http: {
      method: options.body === undefined ? 'GET' : 'POST',
      path: pathname,
      query: [...new URLSearchParams(search)],
      headers: options.body === undefined ? [] : [['content-type', 'application/json']],
      body: options.body ?? new Uint8Array(),
      ...(options.handler === undefined ? {} : { handler: options.handler }),
      kind: 'api',
    },
    config: {},
    grants: [],
    egress: [],
    ...(options.timeoutMs === undefined ? {} : { limits: { timeoutMs: options.timeoutMs } }),
  };
}
