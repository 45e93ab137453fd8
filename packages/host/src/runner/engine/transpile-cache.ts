import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { RunnerError } from '../errors';

/** One core module of a transpiled component on disk. */
export interface CoreModuleFile {
  readonly name: string;
  readonly path: string;
  /** Hex sha256 recorded when written; checked by whoever reads the file. */
  readonly sha256: string;
}

/** A component transpiled by jco, as kept on disk. */
export interface TranspiledComponent {
  /** Absolute path of the ESM glue (`instantiate(getCoreModule, imports, instantiateCore)`). */
  readonly gluePath: string;
  /** Core modules the glue asks for by name: where they are and their expected sha256 (hex). */
  readonly coreModules: ReadonlyArray<CoreModuleFile>;
  /** Whether this call transpiled (false: read from the disk cache). */
  readonly transpiled: boolean;
}

const metaSchema = z.object({
  componentDigest: z.string(),
  jcoVersion: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  coreModules: z.array(z.string()),
});

const GLUE = 'component.mjs';

/**
 * jco 1.35's glue calls `_debugLog` at every step of every call and import, and each call reads
 * `process.env.JCO_DEBUG`: half the cost of a noop request. Isolates run with an empty
 * environment, so the function never logs there; the glue is written with an empty body.
 */
const DEBUG_LOG = `const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`;
const SILENT_DEBUG_LOG = 'const _debugLog = () => {};';

/**
 * jco 1.35's glue wraps three exports in `try { WebAssembly.promising(f) } catch { f }` inside its
 * 7,000-line instantiation generator. Where JSPI is missing (Node 20 and 22) each call throws
 * "is not a function", and V8 re-parses the whole generator to word that message: about 5 ms a
 * throw, three quarters of an instantiation. The glue calls {@link PROMISING_OR_SELF} instead,
 * which returns `f` itself without throwing when there is no JSPI, as the `catch` would.
 */
const PROMISING_CALL = 'WebAssembly.promising(';
const PROMISING_OR_SELF = '_algaPromisingOrSelf';
const PROMISING_OR_SELF_SOURCE = `const ${PROMISING_OR_SELF} = (fn) => {
  if (typeof WebAssembly.promising !== 'function') return fn;
  try { return WebAssembly.promising(fn); } catch { return fn; }
};
`;

/** Bumped whenever the way glue is written changes, so older cache entries are not reused. */
const GLUE_FORMAT = 4;

/**
 * The glue as isolates load it: {@link DEBUG_LOG} silenced, and `WebAssembly.promising` reached
 * through {@link PROMISING_OR_SELF}, where jco emitted them verbatim.
 */
export function prepareGlue(glue: Uint8Array): Uint8Array {
  const source = new TextDecoder().decode(glue);
  const silenced = source.replaceAll(DEBUG_LOG, SILENT_DEBUG_LOG);
  const promising = silenced.includes(PROMISING_CALL)
    ? PROMISING_OR_SELF_SOURCE + silenced.replaceAll(PROMISING_CALL, `${PROMISING_OR_SELF}(`)
    : silenced;
  return promising === source ? glue : new TextEncoder().encode(promising);
}
const SAFE_NAME = /^[a-z0-9][a-z0-9._-]*\.wasm$/;

const require = createRequire(import.meta.url);

function findPackageJson(entry: string, name: string): { path: string; version: string } {
  let dir = dirname(entry);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed = z
        .object({ name: z.string(), version: z.string() })
        .safeParse(JSON.parse(readFileSync(candidate, 'utf8')));
      if (parsed.success && parsed.data.name === name)
        return { path: candidate, version: parsed.data.version };
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new RunnerError('CONFIG', `cannot find the package.json of ${name}; reinstall it`);
    dir = parent;
  }
}

let jcoCache: { url: string; version: string } | undefined;

/** Where jco lives and its version (the transpile cache is keyed by it). */
export function jcoToolchain(): { url: string; version: string } {
  if (jcoCache === undefined) {
    const entry = require.resolve('@bytecodealliance/jco');
    jcoCache = {
      url: pathToFileURL(entry).href,
      version: findPackageJson(entry, '@bytecodealliance/jco').version,
    };
  }
  return jcoCache;
}

/**
 * jco's transpile runs wasm-tools for ~0.5-3 s; doing it in a worker keeps the host's event
 * loop (and every other tenant) serving meanwhile. The worker stays for {@link TRANSPILER_IDLE_MS}
 * after its last job, so a burst of publishes pays for loading jco (~0.3 s) once.
 */
const TRANSPILE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const jco = import(workerData.jcoUrl);
jco.catch(() => {});
parentPort.on('message', ({ id, component, options }) => {
  jco
    .then((loaded) => loaded.transpile(component, options))
    .then((out) => parentPort.postMessage({ id, files: out.files }))
    .catch((error) => parentPort.postMessage({ id, error: String((error && error.stack) || error) }));
});
`;

/** How long the transpile worker waits for another job before it exits. */
const TRANSPILER_IDLE_MS = 30_000;

const TRANSPILE_OPTIONS = {
  name: 'component',
  instantiation: 'sync',
  noTypescript: true,
  quiet: true,
} as const;

const transpileAnswer = z.union([
  z.object({ id: z.number(), files: z.record(z.string(), z.instanceof(Uint8Array)) }),
  z.object({ id: z.number(), error: z.string() }),
]);

interface TranspileJob {
  readonly resolve: (files: Record<string, Uint8Array>) => void;
  readonly reject: (error: RunnerError) => void;
}

/**
 * One transpile worker per process, started on demand and stopped when idle. Its one thread
 * does every transpile, so a burst of new components takes one core, not all of them.
 */
class Transpiler {
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;
  #nextId = 1;
  readonly #jobs = new Map<number, TranspileJob>();

  transpile(component: Uint8Array, jcoUrl: string): Promise<Record<string, Uint8Array>> {
    const worker = this.#worker ?? this.#start(jcoUrl);
    clearTimeout(this.#idle);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      // Only a pending job keeps the process alive.
      worker.ref();
      worker.postMessage({ id, component, options: TRANSPILE_OPTIONS });
    });
  }

  #start(jcoUrl: string): Worker {
    const worker = new Worker(TRANSPILE_WORKER, {
      eval: true,
      workerData: { jcoUrl },
      execArgv: [],
    });
    this.#worker = worker;
    worker.on('message', (message: unknown) => {
      const parsed = transpileAnswer.safeParse(message);
      if (!parsed.success) {
        this.#fail(worker, 'jco transpile answered with an unexpected message');
        return;
      }
      const job = this.#jobs.get(parsed.data.id);
      this.#jobs.delete(parsed.data.id);
      if ('error' in parsed.data) {
        const first = parsed.data.error.split('\n')[0] ?? '';
        job?.reject(
          new RunnerError('LOAD_FAILED', `jco transpile failed: ${first}`, {
            cause: parsed.data.error,
          }),
        );
      } else job?.resolve(parsed.data.files);
      if (this.#jobs.size === 0) {
        worker.unref();
        this.#idle = setTimeout(() => this.#stop(worker), TRANSPILER_IDLE_MS).unref();
      }
    });
    // A worker stopped when idle (no longer current) has no jobs to fail.
    worker.on('error', (error) => {
      if (this.#worker === worker) {
        this.#fail(worker, `jco transpile worker failed: ${error.message}`, error);
      }
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#fail(worker, 'jco transpile worker exited');
    });
    return worker;
  }

  #fail(worker: Worker, message: string, cause?: unknown): void {
    this.#worker = undefined;
    void worker.terminate();
    for (const job of this.#jobs.values()) {
      job.reject(new RunnerError('LOAD_FAILED', message, cause === undefined ? {} : { cause }));
    }
    this.#jobs.clear();
  }

  #stop(worker: Worker): void {
    if (this.#worker !== worker || this.#jobs.size > 0) return;
    this.#worker = undefined;
    void worker.terminate();
  }
}

const transpiler = new Transpiler();

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Transpiles components with jco once per component and keeps the output under
 * `<dataDir>/transpiled/jco-<version>-g<format>/<hex>/`, so a restarted process does not
 * transpile again. Files are checked against the digests recorded when they were written before
 * they are used. Every transpile runs in the process's one transpile worker.
 */
export class TranspileCache {
  readonly #root: string;
  readonly #inflight = new Map<string, Promise<TranspiledComponent>>();

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'transpiled');
  }

  /**
   * The transpiled form of `component`, whose sha256 is `componentDigest` (`sha256:<hex>`, as
   * the bundle index records it): versions of an extension that change only their manifest or
   * UI share one transpile.
   */
  get(componentDigest: string, component: Uint8Array): Promise<TranspiledComponent> {
    const pending = this.#inflight.get(componentDigest);
    if (pending !== undefined) return pending;
    const promise = this.#load(componentDigest, component).finally(() =>
      this.#inflight.delete(componentDigest),
    );
    this.#inflight.set(componentDigest, promise);
    return promise;
  }

  async #load(componentDigest: string, component: Uint8Array): Promise<TranspiledComponent> {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(componentDigest)?.[1];
    if (hex === undefined)
      throw new RunnerError(
        'INVALID_REQUEST',
        `component digest ${JSON.stringify(componentDigest)} is not sha256:<64 hex>`,
      );
    const { url, version } = jcoToolchain();
    const dir = join(this.#root, `jco-${version}-g${GLUE_FORMAT}`, hex);
    const cached = await this.#read(dir, componentDigest, version);
    if (cached !== undefined) return cached;
    const files = await transpiler.transpile(component, url);
    const glue = files['component.js'];
    if (glue === undefined)
      throw new RunnerError('LOAD_FAILED', 'jco transpile produced no component.js');
    const coreModules = Object.keys(files)
      .filter((name) => name.endsWith('.wasm'))
      .sort();
    for (const name of coreModules) {
      if (!SAFE_NAME.test(name))
        throw new RunnerError('LOAD_FAILED', `jco produced an unexpected file name ${name}`);
    }
    const written: Record<string, Uint8Array> = { [GLUE]: prepareGlue(glue) };
    for (const name of coreModules) written[name] = files[name] as Uint8Array;
    const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    const digests: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(written)) {
      await writeFile(join(staging, name), bytes);
      digests[name] = sha256(bytes);
    }
    const meta = { componentDigest, jcoVersion: version, files: digests, coreModules };
    await writeFile(join(staging, 'meta.json'), JSON.stringify(meta));
    try {
      await rename(staging, dir);
    } catch {
      // Another process (or a restart racing us) published the same hash first; theirs is as good.
      await rm(staging, { recursive: true, force: true });
    }
    return {
      gluePath: join(dir, GLUE),
      coreModules: coreModules.map((name) => ({
        name,
        path: join(dir, name),
        sha256: digests[name] as string,
      })),
      transpiled: true,
    };
  }

  async #read(
    dir: string,
    componentDigest: string,
    version: string,
  ): Promise<TranspiledComponent | undefined> {
    let raw: string;
    try {
      raw = await readFile(join(dir, 'meta.json'), 'utf8');
    } catch {
      return undefined;
    }
    const meta = metaSchema.safeParse(JSON.parse(raw));
    if (
      !meta.success ||
      meta.data.componentDigest !== componentDigest ||
      meta.data.jcoVersion !== version
    ) {
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const { files, coreModules } = meta.data;
    const glueDigest = files[GLUE];
    let glue: Uint8Array;
    try {
      glue = await readFile(join(dir, GLUE));
    } catch {
      return this.#discard(dir);
    }
    if (glueDigest === undefined || sha256(glue) !== glueDigest) return this.#discard(dir);
    const modules: CoreModuleFile[] = [];
    for (const name of coreModules) {
      const digest = files[name];
      if (!SAFE_NAME.test(name) || digest === undefined) return this.#discard(dir);
      modules.push({ name, path: join(dir, name), sha256: digest });
    }
    return { gluePath: join(dir, GLUE), coreModules: modules, transpiled: false };
  }

  async #discard(dir: string): Promise<undefined> {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}
