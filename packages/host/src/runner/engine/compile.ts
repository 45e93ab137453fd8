import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { RunnerError } from '../errors';
import { capMemory } from './memory-cap';
import type { CoreModuleFile } from './transpile-cache';

/** A compiled core module, named as the jco glue asks for it. */
export interface CompiledModule {
  readonly name: string;
  readonly module: WebAssembly.Module;
}

/**
 * Reads, checks and compiles the core modules of a transpiled component with every memory
 * capped at `maxPages`. Used in the runner's process and in child processes alike.
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
      const capped = capMemory(bytes, maxPages);
      try {
        return { name: file.name, module: await WebAssembly.compile(capped.bytes) };
      } catch (error) {
        throw new RunnerError(
          'LOAD_FAILED',
          `core module ${file.name} does not compile: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }),
  );
}
