import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { sha256Hex } from '../../bundle/hash';
import { RunnerError } from '../errors';
import { type DataImage, splitDataImage } from './data-image';
import { capMemory } from './memory-cap';
import type { CoreModuleBytes, CoreModuleFile } from './transpile-cache';

/** A compiled core module, named as the jco glue asks for it. */
export interface CompiledModule {
  readonly name: string;
  readonly module: WebAssembly.Module;
  /** Data the module was compiled without: write it into each new instance (`applyDataImage`). */
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

function compileCode(code: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  const key = `${code.byteLength}:${createHash('sha256')
    .update(code.subarray(0, SAMPLE_BYTES))
    .update(code.subarray(Math.max(0, code.byteLength - SAMPLE_BYTES)))
    .digest('hex')}`;
  const cached = compiledCode.get(key);
  if (cached !== undefined && Buffer.from(cached.code).equals(code)) return cached.module;
  const module = WebAssembly.compile(code);
  compiledCode.set(key, { code, module });
  module.catch(() => compiledCode.delete(key));
  return module;
}

async function compileOne(name: string, bytes: Uint8Array<ArrayBuffer>): Promise<CompiledModule> {
  const split = splitDataImage(bytes);
  if (split !== undefined) {
    try {
      return { name, module: await compileCode(split.code), image: split.image };
    } catch {
      // The code refers to its data segments (memory.init): it compiles whole, below.
    }
  }
  try {
    return { name, module: await WebAssembly.compile(bytes) };
  } catch (error) {
    throw new RunnerError(
      'LOAD_FAILED',
      `core module ${name} does not compile: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Reads, checks and compiles the core modules of a transpiled component with every memory
 * capped at `maxPages`, each without its active data where it can be cut out (see
 * `splitDataImage`). Used in the runner's process and in child processes alike.
 */
export async function compileCoreModules(
  modules: ReadonlyArray<CoreModuleBytes | CoreModuleFile>,
  maxPages: number,
): Promise<CompiledModule[]> {
  return Promise.all(
    modules.map(async (source) => {
      if ('bytes' in source)
        return compileOne(source.name, capMemory(source.bytes, maxPages).bytes);
      const bytes = await readFile(source.path);
      if (sha256Hex(bytes) !== source.sha256) {
        throw new RunnerError(
          'INTEGRITY',
          `transpiled core module ${source.name} does not match the digest recorded when it was written; delete ${source.path} to transpile again`,
        );
      }
      return compileOne(source.name, capMemory(bytes, maxPages).bytes);
    }),
  );
}
