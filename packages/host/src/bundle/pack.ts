import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '@alga/manifest';
import { gzipArchive, writeArchive } from './archive.js';
import { BundleError } from './errors.js';
import {
  type BundleFileDigest,
  type BundleFiles,
  digestFiles,
  hashDigests,
  sortedEntries,
} from './hash.js';
import { buildIndex, serializeIndex } from './index-file.js';
import { type BundleLimits, INFLATE_FLOOR_BYTES, resolveLimits } from './limits.js';
import { BUNDLE_INDEX_PATH } from './paths.js';
import { checkManifestFiles, manifestPaths, parseManifestBytes } from './read.js';

/** Options of {@link packBundle}. */
export interface PackBundleOptions {
  /** Gzip the archive for transport (default `true`); the content hash is the same either way. */
  readonly compress?: boolean;
  /** Refuse to pack what readers with these limits would refuse to read (default {@link DEFAULT_BUNDLE_LIMITS}). */
  readonly limits?: Partial<BundleLimits>;
}

/** What {@link packBundle} produced. */
export interface PackedBundle {
  /** The bundle's bytes (`.algabundle`: gzip of the canonical tar unless `compress: false`). */
  readonly bytes: Uint8Array;
  /** Content hash `sha256:<hex>`, the same on every machine for the same files. */
  readonly contentHash: string;
  /** The files packed, with their sizes and digests, in canonical order. */
  readonly files: readonly BundleFileDigest[];
  /** The parsed manifest. */
  readonly manifest: Manifest;
}

const BUILD_HINT = ' Run `alga build` first.';

function ioError(path: string, action: string, cause: unknown): BundleError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
  return new BundleError('IO', `Could not ${action} ${path} (${code}).`, { cause, path });
}

function isMissing(error: unknown): boolean {
  return (
    (error as NodeJS.ErrnoException).code === 'ENOENT' ||
    (error as NodeJS.ErrnoException).code === 'ENOTDIR'
  );
}

/** Collects a project's files: what the manifest names, then the UI folder, refusing links and special files. */
class ProjectReader {
  readonly files = new Map<string, Uint8Array>();
  #total = 0;

  constructor(
    private readonly root: string,
    private readonly limits: BundleLimits,
  ) {}

  /** Adds one file; returns false when it does not exist. */
  async addFile(path: string): Promise<boolean> {
    if (this.files.has(path)) return true;
    const absolute = join(this.root, ...path.split('/'));
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(absolute);
    } catch (error) {
      if (isMissing(error)) return false;
      throw ioError(absolute, 'inspect', error);
    }
    if (stats.isSymbolicLink()) {
      throw new BundleError(
        'LINK_NOT_ALLOWED',
        `${absolute} is a symbolic link; bundles hold regular files only. Copy the file in instead.`,
        { path },
      );
    }
    if (!stats.isFile()) {
      throw new BundleError('SPECIAL_FILE', `${absolute} is not a regular file.`, { path });
    }
    this.#admit(path, stats.size);
    try {
      this.files.set(path, new Uint8Array(await readFile(absolute)));
    } catch (error) {
      throw ioError(absolute, 'read', error);
    }
    return true;
  }

  /** Adds every file under `dir` (a bundle path), skipping names that start with a dot. */
  async addTree(dir: string): Promise<boolean> {
    const absolute = join(this.root, ...dir.split('/'));
    let entries: Dirent[];
    try {
      entries = await readdir(absolute, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return false;
      throw ioError(absolute, 'list', error);
    }
    for (const entry of entries) {
      // Dotfiles (.DS_Store, editor swap files) differ between machines; they would break reproducibility.
      if (entry.name.startsWith('.')) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await this.addTree(path);
      else await this.addFile(path);
    }
    return true;
  }

  #admit(path: string, size: number): void {
    if (size > this.limits.maxFileBytes) {
      throw new BundleError(
        'TOO_LARGE',
        `${path} is ${size} bytes, over the ${this.limits.maxFileBytes}-byte per-file limit (maxFileBytes).`,
        { path },
      );
    }
    if (this.files.size + 1 > this.limits.maxFiles) {
      throw new BundleError(
        'TOO_MANY_FILES',
        `The project has more than ${this.limits.maxFiles} files to pack (maxFiles).`,
        {
          path,
        },
      );
    }
    this.#total += size;
    if (this.#total > this.limits.maxTotalBytes) {
      throw new BundleError(
        'TOO_LARGE',
        `The project's files add up to more than ${this.limits.maxTotalBytes} bytes (maxTotalBytes), passed at ${path}.`,
        { path },
      );
    }
  }
}

async function collectProject(dir: string, limits: BundleLimits): Promise<Map<string, Uint8Array>> {
  const reader = new ProjectReader(dir, limits);
  if (!(await reader.addFile('manifest.json'))) parseManifestBytes(undefined, dir);
  const manifest = parseManifestBytes(reader.files.get('manifest.json'), dir);
  const paths = manifestPaths(manifest);
  if (!(await reader.addFile(paths.entry))) {
    throw new BundleError(
      'COMPONENT_MISSING',
      `${dir} has no component at ${JSON.stringify(paths.entry)} (manifest "entry").${BUILD_HINT}`,
      { path: paths.entry },
    );
  }
  await reader.addFile(paths.componentMeta);
  if (
    paths.uiDir !== undefined &&
    !(await reader.addTree(paths.uiDir)) &&
    manifest.assets?.ui !== undefined
  ) {
    throw new BundleError(
      'ASSET_MISSING',
      `${dir} has no UI folder ${JSON.stringify(paths.uiDir)} (manifest "assets.ui").`,
      {
        path: paths.uiDir,
      },
    );
  }
  for (const path of paths.required) await reader.addFile(path);
  return reader.files;
}

function checkLimits(
  files: readonly BundleFileDigest[],
  indexBytes: number,
  limits: BundleLimits,
): void {
  if (files.length > limits.maxFiles) {
    throw new BundleError(
      'TOO_MANY_FILES',
      `There are ${files.length} files to pack, over the limit of ${limits.maxFiles} (maxFiles).`,
    );
  }
  let total = indexBytes;
  for (const file of files) {
    if (file.size > limits.maxFileBytes) {
      throw new BundleError(
        'TOO_LARGE',
        `${file.path} is ${file.size} bytes, over the ${limits.maxFileBytes}-byte per-file limit (maxFileBytes).`,
        { path: file.path },
      );
    }
    total += file.size;
  }
  if (total > limits.maxTotalBytes) {
    throw new BundleError(
      'TOO_LARGE',
      `The files and index add up to ${total} bytes, over the ${limits.maxTotalBytes}-byte limit (maxTotalBytes).`,
    );
  }
}

/**
 * Packs an extension into a bundle. Given a project folder, it takes `manifest.json`, the
 * component the manifest names (`dist/component.wasm` by default) and its
 * `dist/component.json`, the UI folder (`assets.ui`, else the iframe entry's folder; dotfiles
 * skipped) and the icon. Given a map of files, it packs exactly those. Either way the
 * manifest must parse and the component must be present; links and special files are refused.
 * The same files always give the same content hash and the same tar bytes.
 *
 * @example
 * ```ts
 * const { bytes, contentHash } = await packBundle('./my-extension');
 * await writeFile('ext.algabundle', bytes);
 * console.log(contentHash); // sha256:…
 * ```
 */
export async function packBundle(
  source: string | BundleFiles,
  options: PackBundleOptions = {},
): Promise<PackedBundle> {
  const limits = resolveLimits(options.limits);
  const fromDir = typeof source === 'string';
  const where = fromDir ? source : 'packBundle';
  const files = fromDir ? await collectProject(source, limits) : new Map(sortedEntries(source));
  if (files.has(BUNDLE_INDEX_PATH)) {
    throw new BundleError(
      'UNSAFE_PATH',
      `${where}: ${BUNDLE_INDEX_PATH} is written by packBundle; do not pass it in.`,
      {
        path: BUNDLE_INDEX_PATH,
      },
    );
  }
  const digests = digestFiles(files, where);
  const manifest = parseManifestBytes(files.get('manifest.json'), where);
  checkManifestFiles(manifest, files, where, BUILD_HINT);
  const contentHash = hashDigests(digests);
  const indexBytes = serializeIndex(buildIndex(contentHash, digests));
  checkLimits(digests, indexBytes.byteLength, limits);
  const entries: Array<[string, Uint8Array]> = [
    [BUNDLE_INDEX_PATH, indexBytes],
    ...digests.map((file): [string, Uint8Array] => [file.path, files.get(file.path) as Uint8Array]),
  ];
  const archive = await writeArchive(entries);
  if (options.compress === false) return { bytes: archive, contentHash, files: digests, manifest };
  const bytes = await gzipArchive(archive);
  const allowed = Math.max(INFLATE_FLOOR_BYTES, limits.maxCompressionRatio * bytes.byteLength);
  if (archive.byteLength > allowed) {
    throw new BundleError(
      'DECOMPRESSION_BOMB',
      `${where}: the bundle compresses ${Math.round(archive.byteLength / bytes.byteLength)}x, more than readers accept (maxCompressionRatio ${limits.maxCompressionRatio}); remove the highly repetitive files or raise the limit on both sides.`,
    );
  }
  return { bytes, contentHash, files: digests, manifest };
}
