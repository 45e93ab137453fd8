import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { CAPABILITIES, type CapabilityId } from '@alga/manifest';
import type { BuildFailure, Message, Metafile } from 'esbuild';
import { CliError } from '../internal/errors';
import { findPackageJson } from './paths';
import type { Project } from './project';
import { interfaceOf, WIT_PACKAGE } from './world';

/** The bundled component source and what it was made of. */
export interface Bundle {
  /** One ESM file: the generated component entry, the extension's code and `@alga/runtime`. */
  readonly code: string;
  /** Project-relative paths of the source files in the bundle. */
  readonly inputs: readonly string[];
  /**
   * Source map (JSON, without the sources' text) of `code`, for the file {@link bundleMapPath}
   * names: it turns the engine's `component.js:line:col` stack positions into source positions.
   */
  readonly sourceMap: string;
}

/** The guest engine names the bundled module `component.js` in its stack traces. */
export const BUNDLED_MODULE = 'component.js';

/** Where `alga build` writes the bundle's source map: beside the component. */
export function bundleMapPath(componentPath: string): string {
  return join(dirname(componentPath), `${BUNDLED_MODULE}.map`);
}

const SHIM_NAME = 'alga-component-entry.js';
const WIT_VERSION = WIT_PACKAGE.slice(WIT_PACKAGE.indexOf('@'));

/**
 * The component entry: imports exactly the interfaces of the declared capabilities and hands
 * them, with the extension's default export, to `@alga/runtime/guest`.
 */
export function componentEntrySource(entry: string, interfaces: readonly string[]): string {
  const imports = interfaces.map(
    (name, index) => `import * as host${index} from 'alga:extension/${name}${WIT_VERSION}';`,
  );
  const host = interfaces.map((name, index) => `${JSON.stringify(name)}: host${index}`).join(', ');
  return [
    "import { bindHandler } from '@alga/runtime/guest';",
    `import * as entry from ${JSON.stringify(entry)};`,
    ...imports,
    `export const handler = bindHandler(entry, { ${host} });`,
    '',
  ].join('\n');
}

/**
 * A source checkout of `@alga/runtime` (linked with `file:`) has no `dist/`; its `exports` reach
 * the TypeScript sources through the `@alga/source` condition. A published copy has no sources.
 */
export function sourceConditions(projectDir: string): string[] {
  const runtimePackage = findPackageJson('@alga/runtime', projectDir);
  if (runtimePackage === undefined) {
    throw new CliError(
      'BUILD_FAILED',
      `@alga/runtime is not installed in ${projectDir}; add it to "dependencies" and run npm install`,
    );
  }
  return existsSync(join(dirname(runtimePackage), 'src', 'index.ts')) ? ['@alga/source'] : [];
}

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
    : '';
  return `${where}${message.text}`;
}

const NODE_BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** What to do about the unresolved imports an author most often meets, one line each. */
function bundleHints(errors: readonly Message[]): string {
  const unresolved = errors.flatMap(
    (message) => /^Could not resolve "([^"]+)"/.exec(message.text)?.[1] ?? [],
  );
  const hints: string[] = [];
  if (unresolved.some((specifier) => specifier.startsWith('@alga/runtime'))) {
    hints.push('add @alga/runtime to "dependencies" and run npm install');
  }
  const builtins = [...new Set(unresolved.filter(isNodeBuiltin))];
  if (builtins.length > 0) {
    hints.push(
      `${builtins.map((name) => JSON.stringify(name)).join(', ')}: Node's built-in modules do not exist in an extension, which runs as a WebAssembly component; use ctx from @alga/runtime (config, secrets, storage, http), the global fetch, and web APIs such as URL, TextEncoder and crypto.getRandomValues`,
    );
  }
  return hints.map((hint) => `\n(${hint})`).join('');
}

const CAPABILITY_OF_INTERFACE = new Map<string, CapabilityId>(
  (Object.keys(CAPABILITIES) as CapabilityId[]).map((id) => [interfaceOf(id), id]),
);

/** Rejects a direct import of a WIT interface whose capability the manifest does not declare. */
function checkWitImports(metafile: Metafile, declared: ReadonlySet<CapabilityId>): void {
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (file.endsWith(SHIM_NAME)) continue;
    for (const imported of input.imports) {
      if (!imported.external || !imported.path.startsWith('alga:')) continue;
      const match = /^alga:extension\/([a-z-]+)(?:@[^/]+)?$/.exec(imported.path);
      const capability =
        match?.[1] === undefined ? undefined : CAPABILITY_OF_INTERFACE.get(match[1]);
      if (capability === undefined) {
        throw new CliError(
          'UNDECLARED_CAPABILITY',
          `${file} imports ${imported.path}, which is not a host interface extensions may import; use ctx from @alga/runtime`,
        );
      }
      if (!declared.has(capability)) {
        throw new CliError(
          'UNDECLARED_CAPABILITY',
          `${file} uses alga:extension/${match?.[1]}, which needs capability '${capability}' — add it to manifest.json "capabilities"`,
        );
      }
    }
  }
}

/** Bundles the project into one ESM file with esbuild, keeping `alga:*` imports for the linker. */
export async function bundleProject(
  project: Project,
  interfaces: readonly string[],
): Promise<Bundle> {
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>> & { metafile: Metafile };
  try {
    result = await esbuild.build({
      stdin: {
        contents: componentEntrySource(project.entry, interfaces),
        resolveDir: project.dir,
        sourcefile: SHIM_NAME,
        loader: 'js',
      },
      absWorkingDir: project.dir,
      bundle: true,
      format: 'esm',
      // The guest is a web-worker-like engine: packages' worker and browser builds use the web
      // APIs it has (fetch, crypto.getRandomValues), where their Node builds import node:crypto.
      // The browser platform also applies package.json "browser" maps (`"crypto": false`).
      platform: 'browser',
      target: 'es2022',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['worker', ...sourceConditions(project.dir)],
      define: { 'process.env.NODE_ENV': '"production"' },
      external: ['alga:*'],
      metafile: true,
      write: false,
      // Only names where the map's sources are relative to; nothing is written there.
      outfile: join(dirname(project.componentPath), BUNDLED_MODULE),
      sourcemap: 'external',
      sourcesContent: false,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    });
  } catch (cause) {
    const failure = cause as Partial<BuildFailure>;
    const errors = (failure.errors ?? []).map(formatMessage);
    throw new CliError(
      'BUILD_FAILED',
      `bundling ${project.entryLabel} with esbuild failed:\n  ${errors.join('\n  ') || String(cause)}${bundleHints(failure.errors ?? [])}`,
      { cause },
    );
  }
  checkWitImports(result.metafile, new Set(project.manifest.capabilities));
  const output = result.outputFiles?.find((file) => file.path.endsWith('.js'));
  const map = result.outputFiles?.find((file) => file.path.endsWith('.js.map'));
  if (output === undefined || map === undefined) {
    throw new CliError('BUILD_FAILED', 'esbuild produced no output');
  }
  return {
    // The map is kept beside the component, not named in the code the component carries.
    code: output.text.replace(/\n\/\/# sourceMappingURL=\S+\n?$/, '\n'),
    sourceMap: map.text,
    inputs: Object.keys(result.metafile.inputs)
      .filter((file) => !file.endsWith(SHIM_NAME))
      .sort(),
  };
}
