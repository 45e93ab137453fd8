import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { RunnerError } from '../errors';
import { type DataImage, splitDataImage } from './data-image';
import { capMemory } from './memory-cap';
import type { CoreModuleFile } from './transpile-cache';

/** A compiled core module, named as the jco glue asks for it. */
export interface CompiledModule {
  readonly name: string;
  readonly module: WebAssembly.Module;
  /** Data the module was compiled without: write it into each new instance (`applyDataImage`). */
  readonly image?: DataImage;
}

/**
 * Compiled data-less modules by the sha256 of their bytes. Every build of an extension world
 * carries the same engine code, so a new build reuses the compiled module (and the functions V8
 * compiled lazily while earlier builds ran) instead of compiling 9 MB again.
 */
const compiledCode = new LRUCache<string, Promise<WebAssembly.Module>>({ max: 8 });

function compileCode(code: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  const key = createHash('sha256').update(code).digest('hex');
  let compiled = compiledCode.get(key);
  if (compiled === undefined) {
    compiled = WebAssembly.compile(code);
    compiledCode.set(key, compiled);
    compiled.catch(() => compiledCode.delete(key));
  }
  return compiled;
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
  files: readonly CoreModuleFile[],
  maxPages: number,
): Promise<CompiledModule[]> {
  return Promise.all(
    files.map(async (file) => {
      const bytes = file.bytes ?? (await readFile(file.path));
      if (
        file.bytes === undefined &&
        createHash('sha256').update(bytes).digest('hex') !== file.sha256
      ) {
        throw new RunnerError(
          'INTEGRITY',
          `transpiled core module ${file.name} does not match the digest recorded when it was written; delete ${file.path} to transpile again`,
        );
      }
      return compileOne(file.name, capMemory(bytes, maxPages).bytes);
    }),
  );
}
