import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { writeFileAtomic } from '../../atomic-file';

type GetCoreModule = (name: string) => WebAssembly.Module;
type InstantiateCore = (
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
) => WebAssembly.Instance;
/** jco's synchronous `instantiate` export. */
export type Instantiate = (
  getCoreModule: GetCoreModule,
  imports: Record<string, Record<string, unknown>>,
  instantiateCore: InstantiateCore,
) => Record<string, unknown>;

/** A component's glue, loaded once per isolate. */
export interface Glue {
  /** An `instantiate` for one new guest instance. */
  next(): Instantiate;
  /** V8 accepted a code cache at load, or {@link saveCodeCache} has begun: nothing to save. */
  readonly hasCodeCache: boolean;
  /**
   * Writes V8's code cache of the glue (once, and only when none was accepted at load): the
   * next isolate to load the same glue, a replacement, a restarted host or another build of the
   * same shape, skips parsing and compiling what has run so far. Call it once an instance has
   * served a request.
   */
  saveCodeCache(): Promise<void>;
}

/** The only exports jco's sync glue has; anything else is imported as a module instead. */
const INSTANTIATE_EXPORT = /^export function instantiate\(/m;
const UTIL_EXPORT = /^export const _util =/m;
/** Module syntax a script cannot hold: other imports and exports, `import(...)`, `import.meta`. */
const MODULE_SYNTAX = /^\s*(?:export|import)[\s{*]|\bimport\s*(?:\(|\.\s*meta\b)/m;

/** The glue as the body of a script whose evaluation returns its `instantiate`. */
function scriptSource(source: string): string | undefined {
  if (!INSTANTIATE_EXPORT.test(source)) return undefined;
  const body = source
    .replace(INSTANTIATE_EXPORT, 'function instantiate(')
    .replace(UTIL_EXPORT, 'const _util =');
  if (MODULE_SYNTAX.test(body)) return undefined;
  return `(function () {\n${body}\nreturn instantiate;\n})()`;
}

/**
 * jco's sync glue as the body of a script, with the digest that names its V8 code cache. Made
 * once per glue where the glue is produced, so an isolate loading it reads, rewrites and hashes
 * nothing (10-50 ms of a new program's first request on a busy host).
 */
export interface GlueScript {
  readonly source: string;
  /** Hex sha256 of {@link GlueScript.source}. */
  readonly digest: string;
}

/** `glue` as a {@link GlueScript}, or `undefined` when it needs module features (it is imported). */
export function glueScript(glue: string): GlueScript | undefined {
  const source = scriptSource(glue);
  if (source === undefined) return undefined;
  return { source, digest: createHash('sha256').update(source).digest('hex') };
}

function readCodeCache(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Loads a component's jco glue. jco writes an instance's whole runtime (classes, helpers)
 * inside `instantiate`, so instances made from one evaluation share V8's type feedback while
 * each brings new classes: after a few instances every glue function is megamorphic, and a warm
 * call costs about twice as much. Each {@link Glue.next} therefore evaluates the glue again from
 * a script compiled once (the bytecode is shared, the feedback is the instance's own), from
 * V8's code cache in `codeCacheDir` when one is there (named by the digest of the script, and
 * refused by V8 itself if its source or V8 differ). Glue that is not plain jco sync output is
 * imported as a module and shared. `prepared` is the glue at `url` as a script, made by whoever
 * sent it; without it the file is read.
 */
export async function loadGlue(
  url: string,
  codeCacheDir?: string,
  prepared?: GlueScript,
): Promise<Glue> {
  const path = fileURLToPath(url);
  // Read synchronously: an isolate reads a program's glue once, and an asynchronous read's
  // thread-pool round trips (open, stat, read, close) took 2 ms of a new isolate's 35 ms start.
  const script = prepared ?? glueScript(readFileSync(path, 'utf8'));
  const cachePath =
    codeCacheDir === undefined || script === undefined
      ? undefined
      : join(codeCacheDir, `${script.digest}.bin`);
  const cachedData = readCodeCache(cachePath);
  if (script === undefined) {
    const glue = (await import(url)) as { instantiate: Instantiate };
    return { next: () => glue.instantiate, hasCodeCache: true, saveCodeCache: async () => {} };
  }
  const compiled = new Script(script.source, {
    filename: path,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  let cached =
    cachePath === undefined || (cachedData !== undefined && !compiled.cachedDataRejected);
  return {
    next: () => compiled.runInThisContext() as Instantiate,
    get hasCodeCache() {
      return cached;
    },
    async saveCodeCache() {
      if (cached || cachePath === undefined) return;
      cached = true;
      // Only a speed-up: a read-only or full disk leaves the next isolate compiling again.
      await writeFileAtomic(cachePath, compiled.createCachedData()).catch(() => undefined);
    },
  };
}
