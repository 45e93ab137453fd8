import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from '../internal/errors';
import { witFile } from './paths';
import type { Toolchain } from './toolchain';
import type { GeneratedWorld } from './world';

/** WASI features the runner provides (without filesystem, sockets or environment). */
export const ENABLED_FEATURES = ['stdio', 'random', 'clocks'] as const;
/** WASI features left out: extensions reach HTTP through `ctx.http` (`cap:http.fetch`) only. */
export const DISABLED_FEATURES = ['http', 'fetch-event'] as const;

interface ComponentizeModule {
  componentize(options: {
    sourcePath: string;
    witPath: string;
    worldName: string;
    disableFeatures: Array<(typeof DISABLED_FEATURES)[number]>;
  }): Promise<{ component: Uint8Array }>;
}

interface PackageJsonExports {
  exports?: { import?: string };
}

/** componentize-js, with the filesystem access its WASI tooling needs to read the WIT and source. */
async function loadComponentize(toolchain: Toolchain): Promise<ComponentizeModule> {
  const requireFromComponentize = createRequire(join(toolchain.componentizeDir, 'package.json'));
  // preview2-shim 0.26 starts with no preopens, and componentize-js's tooling (run as WASI
  // components through that shim) then cannot open any file ("os error 44").
  const shim = (await import(
    pathToFileURL(requireFromComponentize.resolve('@bytecodealliance/preview2-shim/filesystem'))
      .href
  )) as {
    _setPreopens(preopens: Record<string, string>): void;
  };
  shim._setPreopens({ '/': '/' });
  const manifest = JSON.parse(
    await readFile(join(toolchain.componentizeDir, 'package.json'), 'utf8'),
  ) as PackageJsonExports;
  const entry = manifest.exports?.import ?? './src/componentize.js';
  return (await import(
    pathToFileURL(join(toolchain.componentizeDir, entry)).href
  )) as ComponentizeModule;
}

const TOP_LEVEL_AT_BUILD_TIME =
  "(the handler module's top-level code, and that of what it imports, runs once during alga build, which snapshots the initialized engine; there is no random source and no host then. Move Math.random(), crypto.getRandomValues()/randomUUID() and host calls into the handler; a top-level Date.now() would be the build's time)";

/**
 * componentize-js's message, cut to what helps: a trap while pre-initializing comes with a
 * backtrace of unnamed Wasm functions, so it is replaced by what usually causes it.
 */
function componentizeFailure(cause: unknown): string {
  const lines = (cause instanceof Error ? cause.message : String(cause)).split('\n');
  const trapped = lines.findIndex((line) => line.includes('`componentize.wizer` function trapped'));
  if (trapped !== -1) return [...lines.slice(0, trapped + 1), TOP_LEVEL_AT_BUILD_TIME].join('\n  ');
  const detail = lines.slice(0, 12);
  if (lines.some((line) => line.includes('Exception while evaluating top-level script'))) {
    detail.push(TOP_LEVEL_AT_BUILD_TIME);
  }
  return detail.join('\n  ');
}

/** Compiles `code` (one ESM file) into a component of `world`. */
export async function componentizeBundle(
  code: string,
  world: GeneratedWorld,
  toolchain: Toolchain,
): Promise<Uint8Array> {
  const { componentize } = await loadComponentize(toolchain);
  const work = await mkdtemp(join(tmpdir(), 'alga-build-'));
  try {
    const witDir = join(work, 'wit');
    const sourcePath = join(work, 'component.js');
    await mkdir(witDir);
    await writeFile(join(witDir, 'alga-extension.wit'), await readFile(witFile()));
    await writeFile(join(witDir, 'world.wit'), world.wit);
    await writeFile(sourcePath, code);
    const { component } = await componentize({
      sourcePath,
      witPath: witDir,
      worldName: world.name,
      disableFeatures: [...DISABLED_FEATURES],
    });
    return component;
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError(
      'BUILD_FAILED',
      `componentize-js could not build the component:\n  ${componentizeFailure(cause)}`,
      { cause },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The imports and exports of a built component, read back from its binary with jco. */
export async function componentInterfaces(
  component: Uint8Array,
  toolchain: Toolchain,
): Promise<{ imports: string[]; exports: string[] }> {
  const manifest = JSON.parse(await readFile(join(toolchain.jcoDir, 'package.json'), 'utf8')) as {
    exports?: { '.'?: { default?: string } };
  };
  const entry = manifest.exports?.['.']?.default ?? './dist/api.js';
  const jco = (await import(pathToFileURL(join(toolchain.jcoDir, entry)).href)) as {
    componentWit(binary: Uint8Array): Promise<string>;
  };
  const wit = await jco.componentWit(component);
  const pick = (kind: 'import' | 'export') =>
    [
      ...wit.matchAll(
        new RegExp(`^\\s*${kind} ([a-z0-9-]+:[a-z0-9-]+/[a-z0-9-]+(?:@[0-9A-Za-z.+-]+)?);`, 'gm'),
      ),
    ]
      .map((match) => match[1] as string)
      .sort();
  return { imports: pick('import'), exports: pick('export') };
}
