import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { CapabilityId } from '@alga/manifest';
import { writeFileAtomic } from '../internal/atomic-file';
import { CliError } from '../internal/errors';
import { stackMapper } from '../internal/stack-map';
import { analyzeProject } from './analyze';
import { bundleMapPath, bundleProject, sourceConditions } from './bundle';
import { BuildCache, type CacheEntry, defaultCacheDir } from './cache';
import {
  componentInterfaces,
  componentizeBundle,
  DISABLED_FEATURES,
  ENABLED_FEATURES,
} from './componentize';
import { loadProject } from './project';
import { resolveToolchain, type ToolchainVersions } from './toolchain';
import { generateWorld, WIT_PACKAGE } from './world';

/** Options of {@link buildExtension}. */
export interface BuildOptions {
  /** The extension folder (with `manifest.json`). */
  dir: string;
  /** Build cache folder; default `node_modules/.cache/alga/build` above the project. */
  cacheDir?: string;
  /** Rebuild even when the cache has the component. */
  force?: boolean;
  /** Source entry relative to `dir`; default `package.json` `alga.entry`, else `src/handler.ts`. */
  entry?: string;
}

/** What `dist/component.json` records about a build. */
export interface ComponentMetadata {
  /** Version of this metadata format. */
  readonly schema: 1;
  /** The extension id and version from the manifest. */
  readonly extension: { readonly name: string; readonly version: string };
  /** The source entry, relative to the project. */
  readonly entry: string;
  /** The manifest capabilities the world was generated from. */
  readonly capabilities: readonly CapabilityId[];
  /** The generated world: its name, package and WIT source. */
  readonly world: { readonly name: string; readonly package: string; readonly wit: string };
  /** The component's imports and exports, read back from the binary. */
  readonly imports: readonly string[];
  readonly exports: readonly string[];
  /** WASI features compiled in and left out. */
  readonly features: { readonly enabled: readonly string[]; readonly disabled: readonly string[] };
  readonly toolchain: ToolchainVersions;
  /** Byte sizes of the bundled JavaScript and of the component. */
  readonly sizes: { readonly bundle: number; readonly component: number };
  /** `sha256:` of the bundled JavaScript (every source file and dependency it includes). */
  readonly sourceHash: string;
  /** `sha256:` of `component.wasm`. */
  readonly componentHash: string;
  /** The build cache key. */
  readonly cacheKey: string;
  /** Source files in the bundle, relative to the project. */
  readonly inputs: readonly string[];
}

/** The result of {@link buildExtension}. */
export interface BuildResult {
  /** Absolute path of the written component (the manifest's `entry`, `dist/component.wasm` by default). */
  readonly componentPath: string;
  /** Absolute path of the written `component.json`. */
  readonly metadataPath: string;
  /**
   * Absolute path of the written source map of the bundled handler (`component.js.map` beside
   * the component), which maps the guest's stack positions to the sources. `alga pack` leaves it
   * out of the bundle.
   */
  readonly sourceMapPath: string;
  readonly metadata: ComponentMetadata;
  /** True when the component came from the build cache. */
  readonly cached: boolean;
  /** Wall time of the build in milliseconds. */
  readonly durationMs: number;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The linked component must import only declared interfaces (and the shared types) and export the handler. */
function checkLinked(
  metadata: Pick<ComponentMetadata, 'imports' | 'exports'>,
  interfaces: readonly string[],
): void {
  const allowed = new Set(['types', ...interfaces].map((name) => `alga:extension/${name}@1.0.0`));
  const stray = metadata.imports.filter((name) => name.startsWith('alga:') && !allowed.has(name));
  if (stray.length > 0) {
    throw new CliError(
      'UNDECLARED_CAPABILITY',
      `the component imports ${stray.join(', ')}, which the manifest does not declare`,
    );
  }
  if (!metadata.exports.includes(`alga:extension/handler@1.0.0`)) {
    throw new CliError(
      'NO_HANDLER_EXPORT',
      'the component does not export alga:extension/handler@1.0.0',
    );
  }
}

/**
 * Builds an extension into a WebAssembly component: bundles the TypeScript entry with esbuild,
 * checks that every capability it uses is declared, and componentizes it with componentize-js
 * against a world importing only the declared capabilities' interfaces. Writes the component
 * (the manifest's `entry`) and `component.json` beside it. Builds are cached by bundled source,
 * world and toolchain, so an unchanged project rebuilds in milliseconds.
 *
 * @example
 * ```ts
 * import { buildExtension } from '@alga/cli';
 *
 * const { componentPath, cached } = await buildExtension({ dir: './my-ext' });
 * ```
 */
export async function buildExtension(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const toolchain = await resolveToolchain();
  const project = await loadProject(options.dir, options.entry);
  const world = generateWorld(project.manifest.capabilities);
  const bundle = await bundleProject(project, world.interfaces);
  const sourceHash = `sha256:${sha256(bundle.code)}`;
  const features = { enabled: [...ENABLED_FEATURES], disabled: [...DISABLED_FEATURES] };
  const cacheKey = sha256(
    JSON.stringify({
      format: 1,
      sourceHash,
      world: world.wit,
      toolchain: toolchain.versions,
      features,
    }),
  );
  const cache = new BuildCache(options.cacheDir ?? defaultCacheDir(project.dir));

  let cached = options.force !== true;
  const compile = async (): Promise<CacheEntry> => {
    cached = false;
    await analyzeProject(project, sourceConditions(project.dir));
    const component = await componentizeBundle(bundle.code, world, toolchain).catch(
      (error: unknown) => {
        // Top-level code runs while componentizing: its errors point into the bundle.
        if (!(error instanceof CliError)) throw error;
        const mapStack = stackMapper(
          bundle.sourceMap,
          dirname(bundleMapPath(project.componentPath)),
          project.dir,
        );
        throw new CliError(error.code, mapStack(error.message), { cause: error });
      },
    );
    const linked = await componentInterfaces(component, toolchain);
    checkLinked(linked, world.interfaces);
    const metadata: ComponentMetadata = {
      schema: 1,
      extension: { name: project.manifest.name, version: project.manifest.version },
      entry: project.entryLabel,
      capabilities: [...project.manifest.capabilities],
      world: { name: world.name, package: WIT_PACKAGE, wit: world.wit },
      imports: linked.imports,
      exports: linked.exports,
      features,
      toolchain: toolchain.versions,
      sizes: { bundle: Buffer.byteLength(bundle.code), component: component.byteLength },
      sourceHash,
      componentHash: `sha256:${sha256(component)}`,
      cacheKey: `sha256:${cacheKey}`,
      inputs: bundle.inputs,
    };
    return { component, metadata: `${JSON.stringify(metadata, null, 2)}\n` };
  };
  let entry: CacheEntry;
  if (options.force === true) {
    entry = await compile();
    await cache.put(cacheKey, entry);
  } else {
    entry = await cache.getOrBuild(cacheKey, compile);
  }

  const metadataPath = project.componentPath.replace(/\.wasm$/, '.json');
  await writeFileAtomic(project.componentPath, entry.component);
  await writeFileAtomic(metadataPath, entry.metadata);
  const sourceMapPath = bundleMapPath(project.componentPath);
  await writeFileAtomic(sourceMapPath, bundle.sourceMap);
  return {
    componentPath: project.componentPath,
    metadataPath,
    sourceMapPath,
    metadata: JSON.parse(entry.metadata) as ComponentMetadata,
    cached,
    durationMs: Math.round(performance.now() - started),
  };
}
