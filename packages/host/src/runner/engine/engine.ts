import { pathToFileURL } from 'node:url';
import { LRUCache } from 'lru-cache';
import { computeDigest } from '../../bundle/hash';
import type { ProgramLoadedEvent } from '../../observability/events';
import { type GlueScript, glueScript } from '../worker/glue';
import { type CompiledModule, compileAhead, compileCoreModules } from './compile';
import { topLevelCoreModules } from './component-shape';
import { WASM_PAGE_BYTES } from './memory-cap';
import { type CoreModuleFile, TranspileCache, type TranspiledComponent } from './transpile-cache';

/** Glue made into scripts, by the glue's bytes: every build of a shape shares its record's. */
const scripts = new WeakMap<Uint8Array, GlueScript | null>();

function scriptOf(glue: Uint8Array): GlueScript | undefined {
  let script = scripts.get(glue);
  if (script === undefined) {
    script = glueScript(new TextDecoder().decode(glue)) ?? null;
    scripts.set(glue, script);
  }
  return script ?? undefined;
}

/** A component ready to instantiate: transpiled glue plus compiled, memory-capped core modules. */
export interface Program {
  /** `<contentHash>#<pages>`: one program per content hash and memory cap. */
  readonly id: string;
  readonly contentHash: string;
  /** `file:` URL of the ESM glue. */
  readonly glueUrl: string;
  /** The glue as a script, sent to worker isolates so they read nothing; none for glue that must be imported. */
  readonly glueScript?: GlueScript;
  /** Where its glue is and how the transpile cache got it. */
  readonly transpiled: Pick<TranspiledComponent, 'gluePath' | 'origin'>;
  /** The extension and version the bundle's manifest names. */
  readonly extensionId: string;
  readonly version: string;
  readonly modules: readonly CompiledModule[];
  /** The linear-memory cap, in 64 KiB pages. */
  readonly memoryPages: number;
  /**
   * The core module files once they are on disk. Worker isolates get compiled modules and
   * never read them; a child process reads them, so its load waits for these.
   */
  readonly files: Promise<readonly CoreModuleFile[]>;
}

/** The memory cap in pages for a byte limit (rounded down, at least one page). */
export function memoryPages(memoryBytes: number): number {
  return Math.max(1, Math.floor(memoryBytes / WASM_PAGE_BYTES));
}

/** Who a bundle is loaded for, when known. */
export interface LoadHint {
  readonly extensionId: string;
  readonly version: string;
}

/** A verified component and the extension it belongs to (from the bundle's manifest). */
export interface LoadedComponent {
  readonly component: Uint8Array;
  /** `sha256:<hex>` of `component` when the source knows it (the bundle index does). */
  readonly componentDigest?: string;
  readonly extensionId: string;
  readonly version: string;
  /**
   * Called once nothing reads `component` any more (its program is built and its files are
   * written, or the build failed): the source may then reuse the buffer it read it into.
   */
  readonly release?: () => void;
}

/** Fetches and verifies a component by content hash (the runner's load path). */
export type ComponentSource = (
  contentHash: string,
  hint: LoadHint | undefined,
) => Promise<LoadedComponent>;

/** Options of {@link Engine}. */
export interface EngineOptions {
  readonly dataDir: string;
  readonly source: ComponentSource;
  /** Compiled programs kept in memory (each holds the compiled code of a ~12 MB module). */
  readonly maxPrograms?: number;
  /** Told of every program built, with where its time went. */
  readonly onLoaded?: (loaded: ProgramLoadedEvent) => void;
}

/**
 * Turns a content hash into a {@link Program}: verified bytes from the source, jco transpile
 * cached on disk, core modules compiled once per (hash, memory cap) per process.
 */
export class Engine {
  readonly #transpiler: TranspileCache;
  readonly #source: ComponentSource;
  readonly #programs: LRUCache<string, Promise<Program>>;
  readonly #onLoaded: ((loaded: ProgramLoadedEvent) => void) | undefined;
  /** Transpiles still on their way to the disk. */
  readonly #writing = new Set<Promise<unknown>>();

  constructor(options: EngineOptions) {
    this.#transpiler = new TranspileCache(options.dataDir);
    this.#source = options.source;
    this.#programs = new LRUCache({ max: options.maxPrograms ?? 32 });
    this.#onLoaded = options.onLoaded;
  }

  /** Programs compiled (or compiling) in this process. */
  get size(): number {
    return this.#programs.size;
  }

  /**
   * Resolves once every transpile this engine made is on disk or failed to get there: a program
   * is served before its files are written, and a host restarted after this finds them.
   */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#writing]);
  }

  /** The program for `contentHash` under a memory cap of `maxPages`. */
  program(contentHash: string, maxPages: number, hint?: LoadHint): Promise<Program> {
    const id = `${contentHash}#${maxPages}`;
    const cached = this.#programs.get(id);
    if (cached !== undefined) return cached;
    const promise = this.#build(id, contentHash, maxPages, hint);
    this.#programs.set(id, promise);
    // A failed load is not cached: the next request tries again (the store may have recovered).
    promise.catch(() => {
      if (this.#programs.peek(id) === promise) this.#programs.delete(id);
    });
    return promise;
  }

  async #build(
    id: string,
    contentHash: string,
    maxPages: number,
    hint: LoadHint | undefined,
  ): Promise<Program> {
    const started = performance.now();
    const loaded = await this.#source(contentHash, hint);
    const verified = performance.now();
    // Every task still reading the component once the build returns or fails.
    const readers: Promise<unknown>[] = [];
    try {
      const componentDigest = loaded.componentDigest ?? computeDigest(loaded.component);
      // The transpile cache's lookups (and a new shape's jco run, 20-90 ms) start first; jco
      // writes the component's core modules out verbatim, so they compile meanwhile.
      const transpiling = this.#transpiler.get(componentDigest, loaded.component);
      const coreModules = topLevelCoreModules(loaded.component);
      const ahead = coreModules === undefined ? undefined : compileAhead(coreModules, maxPages);
      for (const compile of ahead?.started ?? []) readers.push(compile.compiled);
      const transpiled = await transpiling;
      readers.push(transpiled.files);
      this.#writing.add(transpiled.files);
      const written = () => this.#writing.delete(transpiled.files);
      transpiled.files.then(written, written);
      const transpiledAt = performance.now();
      const script = scriptOf(transpiled.glue);
      // Compiled from the bytes in hand while they reach the disk. Glue that is not a script is
      // imported from the disk, so then the files are waited for.
      const [modules] = await Promise.all([
        compileCoreModules(transpiled.coreModules, maxPages, ahead),
        script === undefined ? transpiled.files : undefined,
      ]);
      const done = performance.now();
      this.#onLoaded?.({
        contentHash,
        extensionId: loaded.extensionId,
        version: loaded.version,
        origin: transpiled.origin,
        verifyMs: verified - started,
        transpileMs: transpiledAt - verified,
        compileWaitMs: done - transpiledAt,
        totalMs: done - started,
      });
      return {
        id,
        contentHash,
        glueUrl: pathToFileURL(transpiled.gluePath).href,
        ...(script === undefined ? {} : { glueScript: script }),
        transpiled: { gluePath: transpiled.gluePath, origin: transpiled.origin },
        extensionId: loaded.extensionId,
        version: loaded.version,
        modules,
        memoryPages: maxPages,
        files: transpiled.files,
      };
    } finally {
      if (loaded.release !== undefined) void Promise.allSettled(readers).then(loaded.release);
    }
  }
}
