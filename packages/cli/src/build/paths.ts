import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../internal/errors';

/** The first ancestor of `from` (itself included) for which `test` holds. */
export function findUp(from: string, test: (dir: string) => boolean): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (test(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let cliPackageDirMemo: string | undefined;

/** The folder of the `@alga/cli` package this code runs from (source checkout or installed dist). */
export function cliPackageDir(): string {
  if (cliPackageDirMemo !== undefined) return cliPackageDirMemo;
  const here = dirname(fileURLToPath(import.meta.url));
  const found = findUp(here, (dir) => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return false;
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@alga/cli';
  });
  if (found === undefined) {
    throw new CliError('IO', `no package.json of @alga/cli above ${here}; reinstall @alga/cli`);
  }
  cliPackageDirMemo = found;
  return found;
}

/**
 * The `package.json` of package `name` as Node would find it from `fromDir` (walking up the
 * `node_modules` folders). Needed for packages whose `exports` do not expose `package.json`.
 */
export function findPackageJson(name: string, fromDir: string): string | undefined {
  const dir = findUp(fromDir, (candidate) =>
    existsSync(join(candidate, 'node_modules', name, 'package.json')),
  );
  return dir === undefined ? undefined : join(dir, 'node_modules', name, 'package.json');
}

/**
 * The `alga:extension` WIT package: shipped in `dist/wit/` of a built `@alga/cli`, or the
 * repository's `wit/` in a source checkout.
 */
export function witFile(): string {
  const candidates = [
    join(cliPackageDir(), 'dist', 'wit', 'alga-extension.wit'),
    join(cliPackageDir(), '..', '..', 'wit', 'alga-extension.wit'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new CliError(
      'IO',
      `alga-extension.wit not found at ${candidates.join(' or ')}; reinstall @alga/cli`,
    );
  }
  return found;
}
