import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError } from '../internal/errors';
import { cliPackageDir, findPackageJson } from './paths';

/** Tool versions that shape a component; recorded in `component.json` and in the cache key. */
export interface ToolchainVersions {
  readonly '@alga/cli': string;
  readonly '@bytecodealliance/componentize-js': string;
  readonly '@bytecodealliance/jco': string;
  readonly esbuild: string;
  readonly typescript: string;
}

/** Where the componentize and jco packages were found, with their versions. */
export interface Toolchain {
  readonly versions: ToolchainVersions;
  readonly componentizeDir: string;
  readonly jcoDir: string;
}

/** The major.minor lines `alga build` is tested with. */
export const SUPPORTED_TOOLCHAIN = {
  '@bytecodealliance/componentize-js': '0.23.x',
  '@bytecodealliance/jco': '1.35.x',
} as const;

function inRange(version: string, range: string): boolean {
  const [major, minor] = range.split('.');
  const parts = version.split('.');
  return parts[0] === major && parts[1] === minor && /^\d+(?:[-+].*)?$/.test(parts[2] ?? '');
}

/** Throws `TOOLCHAIN_UNSUPPORTED` when a tool is outside {@link SUPPORTED_TOOLCHAIN}. */
export function checkToolchain(
  found: Readonly<Record<keyof typeof SUPPORTED_TOOLCHAIN, { version: string; dir: string }>>,
): void {
  for (const name of Object.keys(SUPPORTED_TOOLCHAIN) as Array<keyof typeof SUPPORTED_TOOLCHAIN>) {
    const { version, dir } = found[name];
    const range = SUPPORTED_TOOLCHAIN[name];
    if (!inRange(version, range)) {
      throw new CliError(
        'TOOLCHAIN_UNSUPPORTED',
        `${name} ${version} (at ${dir}) is outside the supported range ${range}; install ${name}@${range.replace('.x', '')} next to @alga/cli`,
      );
    }
  }
}

async function packageVersion(name: string): Promise<{ version: string; dir: string }> {
  const file = findPackageJson(name, cliPackageDir());
  if (file === undefined) {
    throw new CliError(
      'TOOLCHAIN_UNSUPPORTED',
      `${name} is not installed next to @alga/cli (looked from ${cliPackageDir()}); run npm install`,
    );
  }
  const { version } = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') {
    throw new CliError('TOOLCHAIN_UNSUPPORTED', `${file} has no version; reinstall ${name}`);
  }
  return { version, dir: dirname(file) };
}

/** Finds the toolchain, checks its versions and reports them. */
export async function resolveToolchain(): Promise<Toolchain> {
  // Versions come from package.json files so that a cached build loads neither TypeScript
  // nor componentize-js.
  const [componentize, jco, esbuild, typescript, cli] = await Promise.all([
    packageVersion('@bytecodealliance/componentize-js'),
    packageVersion('@bytecodealliance/jco'),
    packageVersion('esbuild'),
    packageVersion('typescript'),
    readFile(join(cliPackageDir(), 'package.json'), 'utf8').then(
      (text) => JSON.parse(text) as { version: string },
    ),
  ]);
  checkToolchain({
    '@bytecodealliance/componentize-js': componentize,
    '@bytecodealliance/jco': jco,
  });
  return {
    versions: {
      '@alga/cli': cli.version,
      '@bytecodealliance/componentize-js': componentize.version,
      '@bytecodealliance/jco': jco.version,
      esbuild: esbuild.version,
      typescript: typescript.version,
    },
    componentizeDir: componentize.dir,
    jcoDir: jco.dir,
  };
}
