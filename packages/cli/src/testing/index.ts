/**
 * `@alga/cli/testing`: runs an extension **as its built component** against in-memory host
 * providers with the real host's semantics, so author tests exercise the real Wasm.
 *
 * @example
 * ```ts
 * import { loadExtension } from '@alga/cli/testing';
 *
 * const ext = await loadExtension('.');
 * const res = await ext.invoke({ path: '/hello' }, { context: { tenantId: 'acme' } });
 * expect(res.json()).toEqual({ tenant: 'acme' });
 * ```
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  CAPABILITY_IDS,
  type CapabilityId,
  defaultSettings,
  isCapabilityId,
  type Manifest,
  matchEndpoint,
} from '@alga/manifest';
import { type BuildOptions, type BuildResult, buildExtension } from '../build/index';
import { loadProject } from '../build/project';
import { loadStackMapper, type StackMapper } from '../internal/stack-map';
import { ComponentWorker, type WitRequest } from './component';
import { TestingError } from './errors';
import {
  type HttpCall,
  type InvocationIds,
  type InvocationRecords,
  type LogRecord,
  type MetricSample,
  provide,
  type UiProxyRoute,
} from './host';
import { MemoryStorage } from './storage';
import { defaultTranspileCacheDir, transpileCached } from './transpile';

export { TestingError, TestingErrorCode } from './errors';
export type { HttpCall, InvocationIds, LogRecord, MetricSample, UiProxyRoute } from './host';
export type { MemoryStorageLimits } from './storage';
export { MemoryStorage } from './storage';

/** A request to run through the component. */
export interface InvokeRequest {
  /** HTTP method (default `GET`). */
  method?: string;
  /** Path below the extension prefix, starting with `/`; a `?query` part is decoded into `query`. */
  path: string;
  /** More query pairs. */
  query?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** Request headers (names are sent lower-case). */
  headers?: Readonly<Record<string, string>>;
  /** Raw body; text is sent as UTF-8. */
  body?: string | Uint8Array;
  /** A JSON body (sets `content-type: application/json` unless `headers` has one). */
  json?: unknown;
  /** Endpoint parameters; by default those of the manifest endpoint the path matches. */
  params?: Readonly<Record<string, string>>;
  /** Endpoint handler name; by default that of the matched manifest endpoint. */
  handler?: string;
  /** Route kind (default `api`). */
  kind?: 'api' | 'ui-proxy';
}

/** The fake host an invocation runs against. Anything left out takes a safe default. */
export interface TestEnvironment {
  /** Invocation ids for `ctx.context` (tenant `tenant-test`, a random request id, ...). */
  context?: Partial<InvocationIds>;
  /** Granted capabilities (default: the manifest's, or every capability for a bare component). */
  grants?: readonly CapabilityId[];
  /** Install configuration (default: the manifest settings' defaults). */
  config?: Readonly<Record<string, unknown>>;
  /** Install secrets in plain text (default none). */
  secrets?: Readonly<Record<string, string>>;
  /** The key-value store; pass one instance to several invocations to keep state (default: a fresh one). */
  storage?: MemoryStorage;
  /** Egress allowlist in manifest `http.allow` form (default: the manifest's, or none). */
  egress?: readonly string[];
  /** Outbound HTTP: a fetch stub, and origins to send allowed hosts to (such as a loopback server). */
  http?: {
    fetch?: (request: Request) => Response | Promise<Response>;
    origins?: Readonly<Record<string, string>>;
  };
  /** UI proxy routes of the fake host application. */
  uiProxy?: Readonly<Record<string, UiProxyRoute>>;
  /** Wall-clock limit of one invocation in ms (default 10 000). */
  timeoutMs?: number;
}

/** The component's answer, with everything it reported on the side. */
export interface InvokeResult {
  readonly status: number;
  /** Response headers by lower-case name (repeats joined with `, `). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The body as UTF-8. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
  /** `ctx.log` lines, in order. */
  readonly logs: readonly LogRecord[];
  /** `ctx.metrics` samples, in order. */
  readonly metrics: readonly MetricSample[];
  /** Outbound requests, in order. */
  readonly httpCalls: readonly HttpCall[];
  /** What the guest wrote to stdout and stderr (`console.log`, `console.error`). */
  readonly stdout: string;
  readonly stderr: string;
}

/** A loaded component. */
export interface TestComponent {
  /** `sha256:` of the component. */
  readonly componentHash: string;
  /** The component's imports, without versions. */
  readonly imports: readonly string[];
  /** Runs one request on a fresh instance. */
  invoke(request: InvokeRequest, env?: TestEnvironment): Promise<InvokeResult>;
  /** Stops the component's worker thread. */
  close(): Promise<void>;
}

/** A component loaded from an extension project, with the manifest supplying defaults. */
export interface TestExtension extends TestComponent {
  readonly manifest: Manifest;
  /** The build that produced the component (usually from the build cache). */
  readonly build: BuildResult;
}

/** Options of {@link loadComponent}. */
export interface LoadOptions {
  /** Where transpiled components are cached (default `node_modules/.cache/alga/transpile`). */
  transpileCacheDir?: string;
}

interface Defaults {
  manifest?: Manifest;
  /** Turns the guest's bundle positions into source positions in what an invocation reports. */
  mapStack?: StackMapper;
}

function mapRecords(records: InvocationRecords, mapStack: StackMapper): InvocationRecords {
  return {
    ...records,
    logs: records.logs.map((record) => ({
      ...record,
      message: mapStack(record.message),
      fields: Object.fromEntries(
        Object.entries(record.fields).map(([key, value]) => [
          key,
          typeof value === 'string' ? mapStack(value) : value,
        ]),
      ),
    })),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toWitRequest(
  request: InvokeRequest,
  manifest: Manifest | undefined,
): WitRequest | 'not-declared' {
  if (typeof request.path !== 'string' || !request.path.startsWith('/')) {
    throw new TestingError(
      'INVALID_OPTIONS',
      `request.path must start with '/', got ${JSON.stringify(request.path)}`,
    );
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const [path = '/', search = ''] = request.path.split('?', 2);
  const query: Array<[string, string]> = [...new URLSearchParams(search)];
  const extra =
    request.query === undefined
      ? []
      : Array.isArray(request.query)
        ? request.query
        : Object.entries(request.query);
  for (const [key, value] of extra as ReadonlyArray<readonly [string, string]>)
    query.push([key, value]);
  const headers = new Map(
    Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  let body: Uint8Array = new Uint8Array();
  if (request.json !== undefined) {
    body = encoder.encode(JSON.stringify(request.json));
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (request.body !== undefined) {
    body = typeof request.body === 'string' ? encoder.encode(request.body) : request.body;
  }
  const kind = request.kind ?? 'api';
  let params = request.params;
  let handler = request.handler;
  if (manifest !== undefined && kind === 'api') {
    const match = matchEndpoint(manifest, method, path);
    if (match === null) return 'not-declared';
    params ??= match.params;
    handler ??= match.endpoint.handler;
  }
  const wit: WitRequest = {
    method,
    path,
    query,
    headers: [...headers].map(([name, value]) => ({ name, value })),
    body,
    params: Object.entries(params ?? {}),
    kind,
  };
  if (handler !== undefined) wit.handler = handler;
  return wit;
}

function result(
  status: number,
  headerList: ReadonlyArray<{ name: string; value: string }>,
  body: Uint8Array,
  records: InvocationRecords,
  stdio: { stdout: string; stderr: string },
): InvokeResult {
  const headers: Record<string, string> = {};
  for (const { name, value } of headerList)
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  return {
    status,
    headers,
    body,
    text: () => decoder.decode(body),
    json: <T>() => JSON.parse(decoder.decode(body)) as T,
    logs: records.logs,
    metrics: records.metrics,
    httpCalls: records.httpCalls,
    stdout: stdio.stdout,
    stderr: stdio.stderr,
  };
}

function checkGrants(grants: readonly string[]): Set<CapabilityId> {
  const unknown = grants.filter((grant) => !isCapabilityId(grant));
  if (unknown.length > 0) {
    throw new TestingError(
      'INVALID_OPTIONS',
      `unknown capabilities in grants: ${unknown.join(', ')}; use ids such as cap:secrets.get`,
    );
  }
  return new Set(grants as CapabilityId[]);
}

function createComponent(
  transpiled: Awaited<ReturnType<typeof transpileCached>>,
  defaults: Defaults,
): TestComponent {
  const worker = new ComponentWorker(transpiled);
  const { manifest } = defaults;
  return {
    componentHash: transpiled.componentHash,
    imports: transpiled.imports,
    async invoke(request, env = {}) {
      const records: InvocationRecords = { logs: [], metrics: [], httpCalls: [] };
      const wit = toWitRequest(request, manifest);
      if (wit === 'not-declared') {
        const body = encoder.encode(
          JSON.stringify({
            error: {
              code: 'ENDPOINT_NOT_FOUND',
              message: `manifest.json declares no endpoint for ${(request.method ?? 'GET').toUpperCase()} ${request.path}`,
            },
          }),
        );
        return result(404, [{ name: 'content-type', value: 'application/json' }], body, records, {
          stdout: '',
          stderr: '',
        });
      }
      const providerEnv = {
        context: {
          requestId: randomUUID(),
          tenantId: 'tenant-test',
          extensionId: manifest?.name ?? 'com.example.test',
          installId: 'install-test',
          version: manifest?.version ?? '0.0.0',
          contentHash: transpiled.componentHash,
          ...env.context,
        },
        grants: checkGrants(env.grants ?? manifest?.capabilities ?? CAPABILITY_IDS),
        config: env.config ?? (manifest === undefined ? {} : defaultSettings(manifest)),
        secrets: env.secrets ?? {},
        storage: env.storage ?? new MemoryStorage(),
        egress: env.egress ?? manifest?.http.allow ?? [],
        fetch: env.http?.fetch ?? ((req: Request) => fetch(req)),
        origins: env.http?.origins ?? {},
        uiProxy: env.uiProxy ?? {},
        maxResponseBytes: 5 * 1024 * 1024,
      };
      const mapStack = defaults.mapStack ?? ((text: string) => text);
      const answer = await worker
        .invoke(
          wit,
          (iface, fn, args) => provide(providerEnv, records, iface, fn, args),
          env.timeoutMs ?? 10_000,
        )
        .catch((error: unknown) => {
          throw error instanceof TestingError
            ? new TestingError(error.code, mapStack(error.message), { cause: error })
            : error;
        });
      return result(answer.status, answer.headers, answer.body, mapRecords(records, mapStack), {
        stdout: mapStack(answer.stdout),
        stderr: mapStack(answer.stderr),
      });
    },
    close: () => worker.close(),
  };
}

/**
 * Loads a built component (a path or its bytes) for testing. It is transpiled with jco once per
 * content hash (cached on disk) and runs in a worker thread, a fresh instance per invocation.
 *
 * @example
 * ```ts
 * const component = await loadComponent('dist/component.wasm');
 * const res = await component.invoke({ path: '/hello' }, { grants: ['cap:context.read'] });
 * ```
 */
export async function loadComponent(
  source: string | Uint8Array,
  options: LoadOptions = {},
): Promise<TestComponent> {
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source;
  } catch (cause) {
    throw new TestingError(
      'LOAD_FAILED',
      `cannot read the component ${String(source)}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const from = typeof source === 'string' ? dirname(resolve(source)) : process.cwd();
  const transpiled = await transpileCached(
    bytes,
    options.transpileCacheDir ?? defaultTranspileCacheDir(from),
  );
  return createComponent(transpiled, {});
}

/**
 * Builds the extension in `dir` with `alga build` (near-instant when the build cache has it) and
 * loads its component. Requests are matched against the manifest's endpoints (an undeclared
 * path answers 404 like the host's gateway), and grants, configuration defaults and the egress
 * allowlist come from the manifest unless the environment overrides them.
 *
 * @example
 * ```ts
 * const ext = await loadExtension(new URL('..', import.meta.url).pathname);
 * const res = await ext.invoke({ path: '/hello' });
 * ```
 */
export async function loadExtension(
  dir: string,
  options: Omit<BuildOptions, 'dir'> & LoadOptions = {},
): Promise<TestExtension> {
  const { transpileCacheDir, ...buildOptions } = options;
  const build = await buildExtension({ ...buildOptions, dir });
  const { manifest } = await loadProject(dir, buildOptions.entry);
  const bytes = await readFile(build.componentPath);
  const transpiled = await transpileCached(
    bytes,
    transpileCacheDir ?? defaultTranspileCacheDir(dirname(build.componentPath)),
  );
  const mapStack = await loadStackMapper(build.componentPath, dir);
  return { ...createComponent(transpiled, { manifest, mapStack }), manifest, build };
}
