import { resolve } from 'node:path';
import type { PackedBundle } from '@alga/host';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../internal/atomic-file';
import { CliError, type CliErrorCode } from '../internal/errors';
import { parseFlags } from '../internal/flags';

const flagsSchema = z.strictObject({
  out: z.string().min(1).optional(),
  compress: z.boolean().optional(),
});

/**
 * The CLI error for a failure of the bundle layer: file system problems are `IO`, everything
 * else gets `code`; the bundle's own code stays in the message for people and scripts.
 */
export async function fromBundleError(
  error: unknown,
  code: CliErrorCode,
  prefix: string,
): Promise<unknown> {
  // Loaded on use: @alga/host takes most of a second to import, and other commands never need it.
  const { BundleError } = await import('@alga/host');
  if (!(error instanceof BundleError)) return error;
  return new CliError(
    error.code === 'IO' ? 'IO' : code,
    `${prefix}: ${error.message} (${error.code})`,
    {
      cause: error,
    },
  );
}

/** Default bundle file name: `<name>-<version>.algabundle`, `@scope/name` flattened to `scope-name`. */
export function defaultBundleName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace(/[/\\]/g, '-')}-${version}.algabundle`;
}

/** What `alga pack` wrote. */
export interface PackResult extends PackedBundle {
  /** Absolute path of the bundle file. */
  readonly path: string;
}

/**
 * Packs the extension in `dir` and writes the bundle (via a temporary file, so a reader never
 * sees half of it) to `out`, by default `<name>-<version>.algabundle` in the current folder.
 *
 * @example
 * ```ts
 * const { path, contentHash } = await packToFile('.', { out: 'ext.algabundle' });
 * ```
 */
export async function packToFile(
  dir: string,
  options: { out?: string; compress?: boolean } = {},
): Promise<PackResult> {
  const { packBundle } = await import('@alga/host');
  let packed: PackedBundle;
  try {
    packed = await packBundle(dir, options.compress === false ? { compress: false } : {});
  } catch (error) {
    throw await fromBundleError(error, 'BUILD_FAILED', `cannot pack ${dir}`);
  }
  const path = resolve(
    options.out ?? defaultBundleName(packed.manifest.name, packed.manifest.version),
  );
  try {
    await writeFileAtomic(path, packed.bytes);
  } catch (cause) {
    throw new CliError(
      'IO',
      `cannot write ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause,
      },
    );
  }
  return { ...packed, path };
}

/** Registers `alga pack [dir] -o <file>`. */
export function registerPack(program: Command): void {
  program
    .command('pack [dir]')
    .description(
      'pack manifest.json, the built component and the UI into a bundle; prints its content hash',
    )
    .option('-o, --out <file>', 'bundle file to write (default <name>-<version>.algabundle)')
    .option('--no-compress', 'write a plain tar instead of gzip (same content hash)')
    .action(async (dir: string | undefined, rawFlags: unknown) => {
      const { out, compress } = parseFlags(flagsSchema, rawFlags, 'pack');
      const result = await packToFile(dir ?? '.', {
        ...(out === undefined ? {} : { out }),
        ...(compress === undefined ? {} : { compress }),
      });
      process.stdout.write(`${result.contentHash}\n`);
      const total = result.files.reduce((sum, file) => sum + file.size, 0);
      process.stderr.write(
        `packed ${result.manifest.name}@${result.manifest.version}: ${result.files.length} files, ${total} bytes -> ${result.path} (${result.bytes.byteLength} bytes)\n`,
      );
    });
}
