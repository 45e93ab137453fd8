import { relative } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { type BuildResult, buildExtension } from '../build/index';
import { parseFlags } from '../internal/flags';

const flagsSchema = z.strictObject({
  cacheDir: z.string().min(1).optional(),
  force: z.boolean().optional(),
  entry: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One human line per build: what was written, from what, how fast, and what it links to. */
export function describeBuild(result: BuildResult, cwd = process.cwd()): string {
  const { metadata } = result;
  const interfaces = metadata.imports
    .filter((name) => name.startsWith('alga:') && !name.includes('/types@'))
    .map((name) => name.slice(name.indexOf('/') + 1, name.indexOf('@')));
  const timing = result.cached
    ? `cached, ${result.durationMs} ms`
    : `${(result.durationMs / 1000).toFixed(1)} s`;
  return [
    `built ${relative(cwd, result.componentPath)} (${mebibytes(metadata.sizes.component)}) from ${metadata.entry} (${timing})`,
    `  world: import ${interfaces.join(', ') || 'nothing'}; export handler`,
    `  componentize-js ${metadata.toolchain['@bytecodealliance/componentize-js']}, jco ${metadata.toolchain['@bytecodealliance/jco']}, ${metadata.componentHash}`,
    '',
  ].join('\n');
}

/** Registers `alga build [dir]`. */
export function registerBuild(program: Command): void {
  program
    .command('build [dir]')
    .description(
      'bundle and componentize the extension into dist/component.wasm (+ component.json)',
    )
    .option('--cache-dir <dir>', 'build cache folder (default node_modules/.cache/alga/build)')
    .option('--force', 'rebuild even when the cache has the component')
    .option(
      '--entry <file>',
      'source entry (default package.json "alga.entry", else src/handler.ts)',
    )
    .option('--json', 'print component.json instead of a summary')
    .action(async (dir: string | undefined, rawFlags: unknown) => {
      const { cacheDir, force, entry, json } = parseFlags(flagsSchema, rawFlags, 'build');
      const result = await buildExtension({
        dir: dir ?? '.',
        ...(cacheDir === undefined ? {} : { cacheDir }),
        ...(force === undefined ? {} : { force }),
        ...(entry === undefined ? {} : { entry }),
      });
      process.stdout.write(
        json === true ? `${JSON.stringify(result.metadata, null, 2)}\n` : describeBuild(result),
      );
    });
}
