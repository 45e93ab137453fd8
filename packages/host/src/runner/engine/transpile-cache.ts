import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { sha256Hex } from '../../bundle/hash';
import { RunnerError } from '../errors';
import { type ComponentShape, componentShape, shapeSkeleton } from './component-shape';
import { JcoCode } from './jco-code';

/** One core module of a transpiled component on disk. */
export interface CoreModuleFile {
  readonly name: string;
  readonly path: string;
  /** Hex sha256 recorded when written; checked by whoever reads the file. */
  readonly sha256: string;
}

/** A core module in hand: the bytes this process is writing, nothing to read back or check. */
export interface CoreModuleBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A component transpiled by jco, as kept on disk. */
export interface TranspiledComponent {
  /** Absolute path of the ESM glue (`instantiate(getCoreModule, imports, instantiateCore)`). */
  readonly gluePath: string;
  /** The glue's bytes, as written to `gluePath`: isolates in this process get them by message. */
  readonly glue: Uint8Array;
  /** Core modules the glue asks for by name: the bytes when this call wrote them, else the files. */
  readonly coreModules: ReadonlyArray<CoreModuleBytes | CoreModuleFile>;
  /**
   * Where this call got it: `jco` transpiled it (or its shape's skeleton); `shape` reused the glue of an earlier component
   * of the same shape and cut the core modules out of this one; `disk` read it back.
   */
  readonly origin: 'jco' | 'shape' | 'disk';
  /**
   * The core module files with their digests, once they and the glue at `gluePath` are on disk:
   * what a child process reads.
   */
  readonly files: Promise<readonly CoreModuleFile[]>;
}

const metaSchema = z.object({
  componentDigest: z.string(),
  jcoVersion: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  coreModules: z.array(z.string()),
  /** The shape whose recorded glue this component's is, byte for byte. */
  shape: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

const GLUE = 'component.mjs';
const SHAPES = 'shapes';

const shapeSchema = z.object({
  jcoVersion: z.string(),
  glue: z.string().regex(/^[0-9a-f]{64}$/),
  /** Core module file name -> index of the component's top-level core module it is, verbatim. */
  modules: z.record(z.string(), z.number().int().nonnegative()),
});

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
  emitTypescriptDeclarations: false,
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
 * does every transpile, so a burst of new components takes one core, not all of them. jco's
 * compiled code outlives a stopped worker for the next one (see {@link JcoCode}).
 */
class Transpiler {
  readonly #jcoCode = new JcoCode();
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
    // Held while the worker still has jco loaded, so the code it tiered up is what is held.
    void this.#jcoCode.hold(jcoToolchain().url).finally(() => worker.terminate());
  }
}

const transpiler = new Transpiler();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  );
}

/** The parsed JSON in `path`, or `undefined` when it cannot be read or parsed. */
async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes `bytes` to a new file with as few calls as the kernel allows (`writeFile` takes 512 KiB per thread-pool round trip). */
async function writeWhole(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written);
      written += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/** Hex sha256 of `bytes`, hashed on the thread pool (a 12 MB module costs the event loop nothing). */
async function digestOffThread(bytes: Uint8Array): Promise<string> {
  const digest = await webcrypto.subtle.digest('SHA-256', bytes);
  return Buffer.from(digest).toString('hex');
}

/**
 * Writes `files` and a `meta.json` (built from their hex sha256 digests) into a staging folder
 * and renames it to `dir`, resolving to the digests. If another process (or a restart racing
 * this one) published `dir` first, theirs is kept: it holds the same content. A caller can
 * compile from the bytes meanwhile.
 */
async function writeStaged(
  dir: string,
  files: Readonly<Record<string, Uint8Array>>,
  meta: (digests: Record<string, string>) => unknown,
): Promise<Record<string, string>> {
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  const digests: Record<string, string> = {};
  await Promise.all(
    Object.entries(files).map(async ([name, bytes]) => {
      const [digest] = await Promise.all([
        digestOffThread(bytes),
        writeWhole(join(staging, name), bytes),
      ]);
      digests[name] = digest;
    }),
  );
  await writeFile(join(staging, 'meta.json'), JSON.stringify(meta(digests)));
  try {
    await rename(staging, dir);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
  return digests;
}

/** A shape record as checked or written: its glue (digest matched) and each module file's slot. */
interface RecordedShape {
  readonly gluePath: string;
  readonly glue: Uint8Array;
  readonly modules: Readonly<Record<string, number>>;
  /** Settles once the record is on disk (at once for one read from there); rejects if it could not be written. */
  readonly written: Promise<void>;
}

/** A component's glue from its shape's record, and its own core modules by file name. */
interface FromShape {
  readonly key: string;
  readonly glue: Uint8Array;
  readonly gluePath: string;
  readonly written: Promise<void>;
  readonly modules: Readonly<Record<string, Uint8Array>>;
}

/** The recorded glue with this component's own core modules cut from their slots. */
function withSlots(recorded: RecordedShape, shape: ComponentShape): FromShape | undefined {
  const modules: Record<string, Uint8Array> = {};
  for (const [name, slot] of Object.entries(recorded.modules)) {
    const bytes = shape.slots[slot];
    if (!SAFE_NAME.test(name) || bytes === undefined) return undefined;
    modules[name] = bytes;
  }
  const { glue, gluePath, written } = recorded;
  return { key: shape.key, glue, gluePath, written, modules };
}

/**
 * Transpiles components with jco once per component and keeps the output under
 * `<dataDir>/transpiled/jco-<version>-g<format>/<hex>/`, so a restarted process does not
 * transpile again. Files are checked against the digests recorded when they were written before
 * they are used. Every transpile runs in the process's one transpile worker.
 *
 * jco's glue depends only on a component's shape (see {@link componentShape}): its types,
 * imports, exports, instances and the linking sections of its core modules, never their code.
 * So jco does not see a component of a shape new to the cache: it transpiles the shape's
 * skeleton (see {@link shapeSkeleton}), 20 KB instead of 12 MB, in 20-60 ms instead of
 * 0.5-1 s. The cache records the glue for the shape and which core module section each module
 * file stands for; this component and every later one of the shape (a new build of the same
 * extension, or another with the same capabilities) are written from that record and their own
 * sections in milliseconds. A component whose skeleton jco's output cannot be mapped back to
 * goes to jco whole.
 */
export class TranspileCache {
  readonly #root: string;
  readonly #inflight = new Map<string, Promise<TranspiledComponent>>();
  /** Shape records this cache has checked or written, by shape key. */
  readonly #shapes = new Map<string, RecordedShape>();

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
    const base = join(this.#root, `jco-${version}-g${GLUE_FORMAT}`);
    const dir = join(base, hex);
    const shape = componentShape(component);
    // Both lookups at once: on a miss each is a thread-pool round trip, and a new shape's jco
    // run waits for both.
    const [known, meta] = await Promise.all([
      shape === undefined ? undefined : this.#fromShape(base, shape, version),
      readJson(join(dir, 'meta.json')),
    ]);
    const cached = await this.#read(dir, meta, componentDigest, version, known);
    if (cached !== undefined) return cached;
    if (shape !== undefined) {
      const reused = known ?? (await this.#learnShape(base, shape, component, version, url));
      if (reused !== undefined) {
        // The same glue file for every build of the shape: an isolate that imported it for an
        // earlier build has it loaded and compiled already.
        return this.#write(dir, componentDigest, version, reused.glue, reused.modules, {
          origin: known === undefined ? 'jco' : 'shape',
          shape: reused,
        });
      }
    }
    const files = await transpiler.transpile(component, url);
    const glue = files['component.js'];
    if (glue === undefined)
      throw new RunnerError('LOAD_FAILED', 'jco transpile produced no component.js');
    const modules: Record<string, Uint8Array> = {};
    for (const name of Object.keys(files).filter((file) => file.endsWith('.wasm'))) {
      if (!SAFE_NAME.test(name))
        throw new RunnerError('LOAD_FAILED', `jco produced an unexpected file name ${name}`);
      modules[name] = files[name] as Uint8Array;
    }
    const prepared = prepareGlue(glue);
    if (shape !== undefined) this.#rememberShape(base, shape, version, prepared, modules);
    return this.#write(dir, componentDigest, version, prepared, modules, { origin: 'jco' });
  }

  /**
   * Starts writing a component's glue and core modules with their digests (the folder is renamed
   * into place when done) and returns at once with the bytes, to compile from. The glue is the
   * shape record's, already on disk, when `from.shape` says whose it is.
   */
  #write(
    dir: string,
    componentDigest: string,
    version: string,
    glue: Uint8Array,
    modules: Readonly<Record<string, Uint8Array>>,
    from: {
      readonly origin: 'jco' | 'shape';
      readonly shape?: Pick<FromShape, 'key' | 'gluePath' | 'written'>;
    },
  ): TranspiledComponent {
    const coreModules = Object.keys(modules).sort();
    const digests = writeStaged(dir, { [GLUE]: glue, ...modules }, (digestsOf) => ({
      componentDigest,
      jcoVersion: version,
      files: digestsOf,
      coreModules,
      shape: from.shape?.key,
    }));
    const files = Promise.all([digests, from.shape?.written]).then(([digestsOf]) =>
      coreModules.map((name) => ({
        name,
        path: join(dir, name),
        sha256: digestsOf[name] as string,
      })),
    );
    // Whoever loads the program waits for the files; a caller that does not must still not see
    // an unhandled rejection.
    files.catch(() => undefined);
    return {
      gluePath: from.shape?.gluePath ?? join(dir, GLUE),
      glue,
      coreModules: coreModules.map((name) => ({ name, bytes: modules[name] as Uint8Array })),
      origin: from.origin,
      files,
    };
  }

  /**
   * Records that jco's output for `shape` is `glue` plus each core module verbatim from one of
   * the component's core module sections, so the next component of this shape skips jco. Not
   * recorded when any module file is not a section as it stands (jco changed it).
   */
  #rememberShape(
    base: string,
    shape: ComponentShape,
    version: string,
    glue: Uint8Array,
    modules: Readonly<Record<string, Uint8Array>>,
  ): void {
    const slotOf: Record<string, number> = {};
    for (const [name, bytes] of Object.entries(modules)) {
      const slot = shape.slots.findIndex((candidate) => sameBytes(candidate, bytes));
      if (slot < 0) return;
      slotOf[name] = slot;
    }
    this.#record(base, shape, version, glue, slotOf).written.catch(() => undefined);
  }

  /**
   * Keeps a shape record and starts writing it: isolates in this process get the glue by
   * message, so only a child process (through a component's `files`) and a restarted host wait
   * for the disk. A record that cannot be written is forgotten, and the next component of the
   * shape goes to jco again.
   */
  #record(
    base: string,
    shape: ComponentShape,
    version: string,
    glue: Uint8Array,
    slotOf: Readonly<Record<string, number>>,
  ): RecordedShape {
    const dir = join(base, SHAPES, shape.key);
    const written = writeStaged(dir, { [GLUE]: glue }, (digestsOf) => ({
      jcoVersion: version,
      glue: digestsOf[GLUE] as string,
      modules: slotOf,
    })).then(() => undefined);
    const recorded = { gluePath: join(dir, GLUE), glue, modules: slotOf, written };
    written.catch(() => {
      if (this.#shapes.get(shape.key) === recorded) this.#shapes.delete(shape.key);
    });
    this.#shapes.set(shape.key, recorded);
    return recorded;
  }

  /**
   * Learns a shape new to this cache from jco's transpile of its skeleton (see
   * {@link shapeSkeleton}): the same glue as the whole component's, for a component a hundred
   * times smaller. Records it and returns this component's glue and core modules, or
   * `undefined` when jco's output cannot be mapped back to the component's own core modules;
   * the whole component then goes to jco, which also words any error in it.
   */
  async #learnShape(
    base: string,
    shape: ComponentShape,
    component: Uint8Array,
    version: string,
    jcoUrl: string,
  ): Promise<FromShape | undefined> {
    const skeleton = shapeSkeleton(component);
    if (skeleton === undefined || skeleton.slots.length !== shape.slots.length) return undefined;
    let files: Record<string, Uint8Array>;
    try {
      files = await transpiler.transpile(skeleton.bytes, jcoUrl);
    } catch {
      return undefined;
    }
    const glue = files['component.js'];
    if (glue === undefined) return undefined;
    const slotOf: Record<string, number> = {};
    for (const name of Object.keys(files).filter((file) => file.endsWith('.wasm'))) {
      const bytes = files[name] as Uint8Array;
      const slot = skeleton.slots.findIndex((candidate) => sameBytes(candidate, bytes));
      if (!SAFE_NAME.test(name) || slot < 0) return undefined;
      slotOf[name] = slot;
    }
    // A slot with no file of its own would be a skeleton module jco inlined into the glue.
    if (new Set(Object.values(slotOf)).size !== skeleton.slots.length) return undefined;
    return withSlots(this.#record(base, shape, version, prepareGlue(glue), slotOf), shape);
  }

  /** The glue and core modules for a component of a shape seen before, if it was recorded intact. */
  async #fromShape(
    base: string,
    shape: ComponentShape,
    version: string,
  ): Promise<FromShape | undefined> {
    const known = this.#shapes.get(shape.key);
    if (known !== undefined) return withSlots(known, shape);
    const dir = join(base, SHAPES, shape.key);
    const raw = await readJson(join(dir, 'meta.json'));
    if (raw === undefined) return undefined;
    const recorded = shapeSchema.safeParse(raw);
    if (!recorded.success || recorded.data.jcoVersion !== version) return this.#discard(dir);
    const glue = await readFile(join(dir, GLUE)).catch(() => undefined);
    if (glue === undefined) return undefined;
    if (sha256Hex(glue) !== recorded.data.glue) return this.#discard(dir);
    const checked = {
      gluePath: join(dir, GLUE),
      glue,
      modules: recorded.data.modules,
      written: Promise.resolve(),
    };
    const reused = withSlots(checked, shape);
    if (reused === undefined) return this.#discard(dir);
    this.#shapes.set(shape.key, checked);
    return reused;
  }

  /**
   * The component as this cache wrote it earlier, if its folder checks out (`raw` is its
   * `meta.json` as read, `undefined` when there is none). When the component's
   * shape is recorded (`known`), the glue is the record's and the core modules are cut from the
   * verified component in hand, so nothing large is read back or hashed again; otherwise the glue
   * is read and checked, and the core modules are the files (checked when they are read).
   */
  async #read(
    dir: string,
    raw: unknown,
    componentDigest: string,
    version: string,
    known: FromShape | undefined,
  ): Promise<TranspiledComponent | undefined> {
    if (raw === undefined) return undefined;
    const meta = metaSchema.safeParse(raw);
    if (
      !meta.success ||
      meta.data.componentDigest !== componentDigest ||
      meta.data.jcoVersion !== version
    ) {
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const { files, coreModules, shape } = meta.data;
    const stored: CoreModuleFile[] = [];
    for (const name of coreModules) {
      const digest = files[name];
      if (!SAFE_NAME.test(name) || digest === undefined) return this.#discard(dir);
      stored.push({ name, path: join(dir, name), sha256: digest });
    }
    const fromShape = known !== undefined && known.key === shape ? known : undefined;
    if (
      fromShape !== undefined &&
      coreModules.length === Object.keys(fromShape.modules).length &&
      coreModules.every((name) => fromShape.modules[name] !== undefined)
    ) {
      return {
        gluePath: fromShape.gluePath,
        glue: fromShape.glue,
        coreModules: coreModules.map((name) => ({
          name,
          bytes: fromShape.modules[name] as Uint8Array,
        })),
        origin: 'disk',
        files: fromShape.written.then(() => stored),
      };
    }
    const glueDigest = files[GLUE];
    if (glueDigest === undefined) return this.#discard(dir);
    // The shape record's copy first: isolates that loaded it for another build have it compiled.
    const candidates = [join(dir, GLUE)];
    if (shape !== undefined) candidates.unshift(join(dirname(dir), SHAPES, shape, GLUE));
    for (const candidate of candidates) {
      const glue = await readFile(candidate).catch(() => undefined);
      if (glue !== undefined && sha256Hex(glue) === glueDigest) {
        return {
          gluePath: candidate,
          glue,
          coreModules: stored,
          origin: 'disk',
          files: Promise.resolve(stored),
        };
      }
    }
    return this.#discard(dir);
  }

  async #discard(dir: string): Promise<undefined> {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}
