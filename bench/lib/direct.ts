import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { transpile } from '@bytecodealliance/jco';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { BENCH_DIR } from './report';

/** The request record of `alga:extension/handler.handle`, as jco passes it. */
export interface WitRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Array<[string, string]>;
  readonly headers: Array<{ name: string; value: string }>;
  readonly body: Uint8Array;
  readonly params: Array<[string, string]>;
  readonly handler: string | undefined;
  readonly kind: 'api' | 'ui-proxy';
}

/** The response record `handle` returns. */
export interface WitResponse {
  readonly status: number;
  readonly headers: Array<{ name: string; value: string }>;
  readonly body: Uint8Array;
}

/** A component instantiated in this thread: the direct-call baseline. */
export interface DirectComponent {
  readonly handle: (request: WitRequest) => WitResponse;
}

/** A transpiled component whose core modules are compiled; instantiate as often as needed. */
export interface DirectProgram {
  /** A new instance (host imports: WASI from preview2-shim, empty `alga:extension/types`). */
  instantiate(): DirectComponent;
  /** Milliseconds jco took to transpile (0 when the disk cache had it). */
  readonly transpileMs: number;
  /** Milliseconds `WebAssembly.compile` took for all core modules. */
  readonly compileMs: number;
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (
    module: WebAssembly.Module,
    imports: WebAssembly.Imports,
  ) => WebAssembly.Instance,
) => Record<string, unknown>;

const CACHE = join(BENCH_DIR, 'node_modules', '.cache', 'alga', 'bench-direct-g3');

/**
 * The runner writes jco's glue with `_debugLog` emptied and its throwing `WebAssembly.promising`
 * probes replaced (see `prepareGlue` in `packages/host/src/runner/engine/transpile-cache.ts`); the
 * baseline runs the same glue, so the overhead figures compare like with like.
 */
function prepareBaselineGlue(glue: Uint8Array): Uint8Array {
  const source = new TextDecoder().decode(glue);
  const silenced = source.replace(
    /const _debugLog = \(\.\.\.args\) => \{\n\s*if \(!globalThis\?\.process\?\.env\?\.JCO_DEBUG\) \{ return; \}\n\s*console\.debug\(\.\.\.args\);\n\s*\};/g,
    'const _debugLog = () => {};',
  );
  const promisingOrSelf =
    "const _promisingOrSelf = (fn) => { if (typeof WebAssembly.promising !== 'function') return fn; try { return WebAssembly.promising(fn); } catch { return fn; } };\n";
  return new TextEncoder().encode(
    promisingOrSelf + silenced.replaceAll('WebAssembly.promising(', '_promisingOrSelf('),
  );
}

const MONOTONIC_CLOCK = /^wasi:clocks\/monotonic-clock@0\.2\.\d+$/;

/**
 * The runner links `monotonic-clock.now` straight into each core instance, past jco's per-call
 * task bookkeeping (see `linkClockDirectly` in `packages/host/src/runner/wasi/minimal.ts`); the
 * baseline does the same, so the overhead figures compare like with like.
 */
function linkClock(imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
  if (imports === undefined) return undefined;
  const linked: WebAssembly.Imports = { ...imports };
  for (const [name, functions] of Object.entries(imports)) {
    if (MONOTONIC_CLOCK.test(name))
      linked[name] = { ...functions, now: () => process.hrtime.bigint() };
  }
  return linked;
}

/** Transpiles `component` with jco (sync instantiation, like the runner), cached under `cacheDir`. */
export async function transpileDirect(
  component: Uint8Array,
  cacheDir = CACHE,
): Promise<{ dir: string; transpileMs: number }> {
  const hex = createHash('sha256').update(component).digest('hex');
  const dir = join(cacheDir, hex);
  if (existsSync(join(dir, 'done'))) return { dir, transpileMs: 0 };
  const started = performance.now();
  const { files } = await transpile(component, {
    name: 'component',
    instantiation: 'sync',
    noTypescript: true,
    quiet: true,
  });
  const transpileMs = performance.now() - started;
  const staging = `${dir}.${process.pid}.tmp`;
  await mkdir(staging, { recursive: true });
  // jco emits ESM with a .js name: the folder's package.json makes Node load it as a module.
  await writeFile(join(staging, 'package.json'), '{"type":"module"}\n');
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('.d.ts')) continue;
    await mkdir(dirname(join(staging, name)), { recursive: true });
    await writeFile(
      join(staging, name),
      name === 'component.js' ? prepareBaselineGlue(bytes) : bytes,
    );
  }
  await writeFile(join(staging, 'done'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return { dir, transpileMs };
}

/** The handler export of an instantiated component. */
function handlerOf(exports: Record<string, unknown>): DirectComponent['handle'] {
  const handler = (exports.handler ?? exports['alga:extension/handler@1.0.0']) as
    | { handle?: DirectComponent['handle'] }
    | undefined;
  if (typeof handler?.handle !== 'function') {
    throw new TypeError('the component does not export alga:extension/handler');
  }
  return handler.handle;
}

/**
 * Loads `component` for calls in this thread, with no worker, no runner and no gateway: the
 * least any host can spend on a call, which the runner's figures are measured against.
 * `hostImports` are the Alga interfaces the component imports, beside WASI.
 */
export async function loadDirect(
  component: Uint8Array,
  cacheDir?: string,
  hostImports: Record<string, unknown> = { 'alga:extension/types': {} },
): Promise<DirectProgram> {
  const { dir, transpileMs } = await transpileDirect(component, cacheDir);
  const glue = (await import(pathToFileURL(join(dir, 'component.js')).href)) as {
    instantiate: Instantiate;
  };
  const started = performance.now();
  const modules = new Map<string, WebAssembly.Module>();
  for (const name of (await readdir(dir)).filter((file) => file.endsWith('.wasm'))) {
    modules.set(name, await WebAssembly.compile(await readFile(join(dir, name))));
  }
  const compileMs = performance.now() - started;
  const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } });
  return {
    transpileMs,
    compileMs,
    instantiate() {
      const imports = { ...wasi.getImportObject(), ...hostImports };
      const exports = glue.instantiate(
        (name) => {
          const module = modules.get(name);
          if (module === undefined) throw new TypeError(`no core module ${name}`);
          return module;
        },
        imports,
        (module, moduleImports) => new WebAssembly.Instance(module, linkClock(moduleImports)),
      );
      return { handle: handlerOf(exports) };
    },
  };
}

/** A `handle` request with the defaults the gateway would fill in. */
export function witRequest(
  method: string,
  path: string,
  body: Uint8Array = new Uint8Array(),
  handler?: string,
): WitRequest {
  return {
    method,
    path,
    query: [],
    headers: body.byteLength > 0 ? [{ name: 'content-type', value: 'application/json' }] : [],
    body,
    params: [],
    handler,
    kind: 'api',
  };
}

const FRESH_TRANSPILE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.jcoUrl)
  .then((jco) => jco.transpile(workerData.component, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true }))
  .then((out) => parentPort.postMessage({ files: Object.keys(out.files).length }))
  .catch((error) => parentPort.postMessage({ error: String(error) }));
`;

/**
 * Milliseconds to transpile `component` in a new worker that loads jco first: what the
 * runner's transpile cache does on a miss (one throwaway worker per transpile).
 */
export function transpileInFreshWorker(component: Uint8Array): Promise<number> {
  const jcoUrl = pathToFileURL(
    createRequire(import.meta.url).resolve('@bytecodealliance/jco'),
  ).href;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const worker = new Worker(FRESH_TRANSPILE_WORKER, {
      eval: true,
      workerData: { component, jcoUrl },
    });
    worker.once('message', (message: { error?: string }) => {
      const elapsed = performance.now() - started;
      void worker.terminate();
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(elapsed);
    });
    worker.once('error', reject);
  });
}
