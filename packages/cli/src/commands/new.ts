import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseManifest } from '@alga/manifest';
import type { Command } from 'commander';
import { z } from 'zod';
import { cliPackageDir } from '../build/paths';
import { CliError } from '../internal/errors';

/** Templates `alga new` offers. */
export const TEMPLATES = ['basic', 'ui'] as const;

/** How the scaffold depends on `@alga/*`: `file:` links to a source checkout, or registry versions. */
export type DependencyMode = 'link' | 'registry';

/** Options of {@link scaffoldExtension}. */
export interface ScaffoldOptions {
  /** The folder to create (it may exist if empty). */
  dir: string;
  /** `basic` (a handler and a test) or `ui` (also an iframe page). Default `basic`. */
  template?: (typeof TEMPLATES)[number];
  /** Extension id; default `com.example.<folder name>`. */
  name?: string;
  /** Default `link` when this CLI runs from a source checkout, else `registry`. */
  deps?: DependencyMode;
}

/** What {@link scaffoldExtension} wrote. */
export interface ScaffoldResult {
  readonly dir: string;
  /** Project-relative paths, sorted. */
  readonly files: readonly string[];
  readonly deps: DependencyMode;
}

/** Versions the scaffold pins for its registry dependencies (the ones this repository tests with). */
const REGISTRY_VERSIONS = { vitest: '4.1.12', typescript: '5.9.3', esbuild: '0.25.12' } as const;

const optionsSchema = z.strictObject({
  dir: z.string().min(1, 'give the folder to create, such as my-ext'),
  template: z.enum(TEMPLATES).default('basic'),
  name: z
    .string()
    .regex(
      /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+){2,}|@[a-z0-9-]+\/[a-z0-9-]+)$/,
      'use reverse-DNS such as com.acme.hello or a scoped name such as @acme/hello',
    )
    .optional(),
  deps: z.enum(['link', 'registry']).optional(),
});

/** The packages folder of the source checkout this CLI runs from, if it runs from one. */
function checkoutPackagesDir(): string | undefined {
  const packages = dirname(cliPackageDir());
  const runtime = join(packages, 'runtime', 'package.json');
  if (!existsSync(join(cliPackageDir(), 'src', 'index.ts')) || !existsSync(runtime))
    return undefined;
  return (JSON.parse(readFileSync(runtime, 'utf8')) as { name?: string }).name === '@alga/runtime'
    ? packages
    : undefined;
}

function slug(folder: string): string {
  const cleaned = folder
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'extension' : cleaned;
}

function titleCase(text: string): string {
  return text
    .split('-')
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(' ');
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? listFiles(dir, join(prefix, entry.name))
        : Promise.resolve([join(prefix, entry.name)]),
    ),
  );
  return nested.flat();
}

/**
 * Creates an extension project: `manifest.json`, `src/handler.ts`, a vitest test that runs the
 * built component, `package.json` with `build` and `test` scripts, and for the `ui` template an
 * iframe page using `@alga/iframe-sdk`. Run from a source checkout, it links `@alga/*` with
 * `file:` dependencies to that checkout (they are not on the npm registry yet).
 *
 * @example
 * ```ts
 * await scaffoldExtension({ dir: 'my-ext', template: 'basic' });
 * ```
 */
export async function scaffoldExtension(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      'USAGE',
      `alga new: ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { template } = parsed.data;
  const dir = resolve(parsed.data.dir);
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new CliError('USAGE', `${dir} exists and is not empty; pick a new folder`);
  }
  const packages = checkoutPackagesDir();
  const deps = parsed.data.deps ?? (packages === undefined ? 'registry' : 'link');
  if (deps === 'link' && packages === undefined) {
    throw new CliError(
      'USAGE',
      '--deps link needs this CLI to run from a source checkout of the Alga repository',
    );
  }
  const cliVersion = (
    JSON.parse(await readFile(join(cliPackageDir(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  const dependency = (name: string) =>
    deps === 'link' && packages !== undefined
      ? `file:${join(packages, name.replace('@alga/', ''))}`
      : cliVersion;

  const folder = slug(basename(dir));
  const name = parsed.data.name ?? `com.example.${folder}`;
  const displayName = titleCase(folder);
  const withUi = template === 'ui';

  const manifest = {
    name,
    publisher: 'example',
    version: '0.1.0',
    displayName,
    description: `${displayName}, an Alga extension.`,
    runtime: 'wasm-js@1',
    entry: 'dist/component.wasm',
    capabilities: ['cap:context.read', 'cap:log.emit', 'cap:config.read'],
    api: {
      endpoints: [
        { method: 'GET', path: '/hello', handler: 'hello', description: 'Greets the caller.' },
      ],
    },
    settings: [{ key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello' }],
    ...(withUi
      ? {
          ui: {
            iframe: { entry: 'ui/index.html', title: displayName },
            hooks: [{ type: 'appMenu', label: displayName, path: '/' }],
          },
          assets: { ui: 'ui' },
        }
      : {}),
  };
  // The scaffold must pass the same validation `alga build` applies.
  parseManifest(manifest);

  const sourceCondition = deps === 'link' ? ' --conditions=@alga/source' : '';
  const packageJson = {
    name: folder,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      ...(withUi
        ? {
            'build:ui': `esbuild ui/app.ts --bundle --minify --format=iife --target=es2020${sourceCondition} --outfile=ui/app.js`,
            build: 'npm run build:ui && alga build',
          }
        : { build: 'alga build' }),
      test: 'vitest run',
    },
    dependencies: { '@alga/runtime': dependency('@alga/runtime') },
    devDependencies: {
      '@alga/cli': dependency('@alga/cli'),
      ...(withUi
        ? { '@alga/iframe-sdk': dependency('@alga/iframe-sdk'), esbuild: REGISTRY_VERSIONS.esbuild }
        : {}),
      typescript: REGISTRY_VERSIONS.typescript,
      vitest: REGISTRY_VERSIONS.vitest,
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      customConditions: deps === 'link' ? ['@alga/source'] : [],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: withUi ? ['src', 'test', 'ui'] : ['src', 'test'],
  };

  const files = new Map<string, string>([
    ['manifest.json', `${JSON.stringify(manifest, null, 2)}\n`],
    ['package.json', `${JSON.stringify(packageJson, null, 2)}\n`],
    ['tsconfig.json', `${JSON.stringify(tsconfig, null, 2)}\n`],
  ]);
  const templateDirs = [
    join(cliPackageDir(), 'templates', 'basic'),
    ...(withUi ? [join(cliPackageDir(), 'templates', 'ui')] : []),
  ];
  for (const templateDir of templateDirs) {
    for (const file of await listFiles(templateDir)) {
      // npm drops .gitignore files from published packages, hence the _ prefix.
      const target = file === '_gitignore' ? '.gitignore' : file;
      const text = (await readFile(join(templateDir, file), 'utf8')).replaceAll(
        '{{displayName}}',
        displayName,
      );
      files.set(target, text);
    }
  }
  for (const [file, text] of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return { dir, files: [...files.keys()].sort(), deps };
}

/** Registers `alga new <dir>`. */
export function registerNew(program: Command): void {
  program
    .command('new <dir>')
    .description('create an extension project (manifest, handler, test, package.json)')
    .option('-t, --template <template>', `project template: ${TEMPLATES.join(' or ')}`, 'basic')
    .option('--name <id>', 'extension id (default com.example.<folder>)')
    .option('--deps <mode>', 'link: file: links to this source checkout; registry: npm versions')
    .action(async (dir: string, flags: { template?: string; name?: string; deps?: string }) => {
      const result = await scaffoldExtension({ dir, ...flags } as ScaffoldOptions);
      const where = relative(process.cwd(), result.dir) || '.';
      process.stdout.write(
        [
          `Created ${where} (${result.files.length} files, @alga/* ${result.deps === 'link' ? `linked to ${dirname(cliPackageDir())}` : 'from the npm registry'}).`,
          'Next:',
          `  cd ${where}`,
          '  npm install',
          '  npx alga build',
          '  npm test',
          '',
        ].join('\n'),
      );
    });
}
