import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { sha256Hex } from '../../bundle/hash';
import { concatBytes } from '../../bytes';
import { RunnerError } from '../errors';
import { type DataImage, importMemory, splitDataImage } from './data-image';
import { capMemory } from './memory-cap';
import type { CoreModuleBytes, CoreModuleFile } from './transpile-cache';
import { CoreSection } from './wasm-binary';

/** A compiled core module, named as the jco glue asks for it. */
export interface CompiledModule {
  readonly name: string;
  readonly module: WebAssembly.Module;
  /**
   * Data the module was compiled without: written into each new instance (`applyDataImage`), or
   * into the memory the host supplies when the module imports it (`image.memory`).
   */
  readonly image?: DataImage;
}

/** Bytes sampled from each end of a module to key {@link compiledCode} without hashing it all. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * Compiled data-less modules with their bytes, by their length and a digest of their ends;
 * a hit is confirmed byte for byte. Every build of an extension world carries the same engine
 * code, so a new build reuses the compiled module (and the functions V8 compiled lazily while
 * earlier builds ran) instead of compiling 9 MB again.
 */
const compiledCode = new LRUCache<
  string,
  { readonly code: Uint8Array; readonly module: Promise<WebAssembly.Module> }
>({ max: 8 });

/**
 * Modules up to this size compile here, synchronously: V8's asynchronous compile answers on a
 * later turn of the event loop, which cost a cold start 7-9 ms for jco's three small shim modules
 * (12 KB and less) against well under a millisecond in this thread.
 */
const COMPILE_IN_THREAD_BYTES = 64 * 1024;

function compile(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  if (bytes.byteLength > COMPILE_IN_THREAD_BYTES) return WebAssembly.compile(bytes);
  try {
    return Promise.resolve(new WebAssembly.Module(bytes));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The key of {@link compiledCode}: the length and a digest of both ends of `parts` joined. */
function sampleKey(parts: readonly Uint8Array[], length: number): string {
  const hash = createHash('sha256');
  let left = SAMPLE_BYTES;
  for (const part of parts) {
    if (left <= 0) break;
    const piece = part.subarray(0, left);
    hash.update(piece);
    left -= piece.byteLength;
  }
  const tail: Uint8Array[] = [];
  left = SAMPLE_BYTES;
  for (let index = parts.length - 1; index >= 0 && left > 0; index--) {
    const part = parts[index] as Uint8Array;
    const piece = part.subarray(Math.max(0, part.byteLength - left));
    tail.unshift(piece);
    left -= piece.byteLength;
  }
  for (const piece of tail) hash.update(piece);
  return `${length}:${hash.digest('hex')}`;
}

function joinsTo(parts: readonly Uint8Array[], code: Uint8Array): boolean {
  let offset = 0;
  for (const part of parts) {
    const end = offset + part.byteLength;
    if (end > code.byteLength || Buffer.compare(code.subarray(offset, end), part) !== 0)
      return false;
    offset = end;
  }
  return offset === code.byteLength;
}

/** Compiles the data-less module made of `parts`, or finds it compiled; joins them only to compile. */
function compileCode(parts: readonly Uint8Array[]): Promise<WebAssembly.Module> {
  const length = parts.reduce((total, part) => total + part.byteLength, 0);
  const key = sampleKey(parts, length);
  const cached = compiledCode.get(key);
  if (cached !== undefined && joinsTo(parts, cached.code)) return cached.module;
  const code = concatBytes(parts);
  const module = compile(code);
  compiledCode.set(key, { code, module });
  module.catch(() => compiledCode.delete(key));
  return module;
}

/** A module's `parts` (its header, then whole sections) with its memories capped at `maxPages`. */
function capParts(parts: readonly Uint8Array[], maxPages: number): Uint8Array[] {
  const [header] = parts;
  if (header === undefined) return [];
  return parts.map((part, index) =>
    index > 0 && part[0] === CoreSection.memory
      ? capMemory(concatBytes([header, part]), maxPages).bytes.subarray(header.byteLength)
      : part,
  );
}

/** A core module compiled under a memory cap, before it is known by the name the glue uses. */
type Compiled = Omit<CompiledModule, 'name'>;

/**
 * Compiles a core module under a memory cap of `maxPages`, without its data where it can be cut
 * out, and then importing its memory where it defines one (see `importMemory`). The cap is
 * written into the pieces of the cut module, so the 12 MB module is not copied whole (each such
 * copy also brought V8's next full collection closer).
 */
async function compileCapped(bytes: Uint8Array, maxPages: number): Promise<Compiled> {
  const split = splitDataImage(bytes);
  if (split !== undefined) {
    const capped = capParts(split.code, maxPages);
    const imported = importMemory(capped);
    const image =
      imported === undefined ? split.image : { ...split.image, memory: imported.memory };
    try {
      return { module: await compileCode(imported?.parts ?? capped), image };
    } catch {
      // The code refers to its data segments (memory.init): it compiles whole, below.
    }
  }
  return { module: await compile(capMemory(bytes, maxPages).bytes) };
}

async function named(name: string, compiled: Promise<Compiled>): Promise<CompiledModule> {
  try {
    return { name, ...(await compiled) };
  } catch (error) {
    if (error instanceof RunnerError) throw error;
    throw new RunnerError(
      'LOAD_FAILED',
      `core module ${name} does not compile: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Core modules whose compile started before their names were known: see {@link compileAhead}. */
export interface CompilesAhead {
  readonly maxPages: number;
  readonly started: ReadonlyArray<{
    readonly bytes: Uint8Array;
    readonly compiled: Promise<Compiled>;
  }>;
}

/**
 * Starts compiling each of `modules` too large to compile in this thread, under a cap of
 * `maxPages`. For a component's own core modules while the transpile cache finds or makes its
 * glue: jco writes them out verbatim, so their compile need not wait for it, and
 * {@link compileCoreModules} takes the compile started here for a module that is the same bytes.
 */
export function compileAhead(modules: readonly Uint8Array[], maxPages: number): CompilesAhead {
  const started = modules
    .filter((bytes) => bytes.byteLength > COMPILE_IN_THREAD_BYTES)
    .map((bytes) => {
      const compiled = compileCapped(bytes, maxPages);
      // Nobody may ask for it (the transpile failed); a module that is asked for reports it.
      compiled.catch(() => {});
      return { bytes, compiled };
    });
  return { maxPages, started };
}

function sameView(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

/**
 * Reads, checks and compiles the core modules of a transpiled component with every memory
 * capped at `maxPages`, each without its active data where it can be cut out (see
 * `splitDataImage`), taking a compile from `ahead` for a module given as the same bytes. Used in
 * the runner's process and in child processes alike.
 */
export async function compileCoreModules(
  modules: ReadonlyArray<CoreModuleBytes | CoreModuleFile>,
  maxPages: number,
  ahead?: CompilesAhead,
): Promise<CompiledModule[]> {
  const early = ahead?.maxPages === maxPages ? ahead.started : [];
  return Promise.all(
    modules.map(async (source) => {
      if ('bytes' in source) {
        const started = early.find((candidate) => sameView(candidate.bytes, source.bytes));
        return named(source.name, started?.compiled ?? compileCapped(source.bytes, maxPages));
      }
      const bytes = await readFile(source.path);
      if (sha256Hex(bytes) !== source.sha256) {
        throw new RunnerError(
          'INTEGRITY',
          `transpiled core module ${source.name} does not match the digest recorded when it was written; delete ${source.path} to transpile again`,
        );
      }
      return named(source.name, compileCapped(bytes, maxPages));
    }),
  );
}
