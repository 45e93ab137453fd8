import { type Manifest, ManifestError, parseManifest } from '@alga/manifest';
import { type ReadArchiveOptions, readArchive } from './archive.js';
import { BundleError } from './errors.js';
import { type BundleFileDigest, computeDigest, digestFiles, hashDigests } from './hash.js';
import { type BundleIndex, parseIndex } from './index-file.js';
import { type BundleLimits, resolveLimits } from './limits.js';
import { BUNDLE_INDEX_PATH } from './paths.js';

/** A bundle read from bytes: every check passed, every file in memory, nothing written to disk. */
export interface ReadBundle {
  /** The parsed `manifest.json`. */
  readonly manifest: Manifest;
  /** Content hash `sha256:<hex>` of the files (see `docs/bundle-format.md`). */
  readonly contentHash: string;
  /** Every file by bundle path; the index (`.alga/index.json`) is not among them. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** `sha256:<hex>` of every file by bundle path, to verify one asset on its own. */
  readonly digests: ReadonlyMap<string, string>;
  /** The bundle's index document, checked against the files. */
  readonly index: BundleIndex;
}

/** The paths a manifest makes a bundle depend on. */
export interface ManifestPaths {
  /** The component (`manifest.entry`). */
  readonly entry: string;
  /** The component's build metadata beside it (`dist/component.json` for the default entry). */
  readonly componentMeta: string;
  /** The folder of UI assets (`assets.ui`, else the iframe entry's folder), if any. */
  readonly uiDir: string | undefined;
  /** Files that must be present besides the component: the iframe entry and the icon. */
  readonly required: readonly string[];
}

/** The files a manifest names, with the defaults applied. */
export function manifestPaths(manifest: Manifest): ManifestPaths {
  const entry = manifest.entry;
  const iframeEntry = manifest.ui?.iframe?.entry;
  const iframeDir = iframeEntry?.includes('/')
    ? iframeEntry.slice(0, iframeEntry.lastIndexOf('/'))
    : undefined;
  const required = [iframeEntry, manifest.icon].filter(
    (path): path is string => path !== undefined,
  );
  return {
    entry,
    componentMeta: entry.endsWith('.wasm')
      ? `${entry.slice(0, -'.wasm'.length)}.json`
      : `${entry}.json`,
    uiDir: manifest.assets?.ui ?? iframeDir,
    required,
  };
}

/** Parses `manifest.json` bytes, mapping every failure (missing, not JSON, too large, invalid) to `MANIFEST_INVALID` with its issues. */
export function parseManifestBytes(bytes: Uint8Array | undefined, where: string): Manifest {
  if (bytes === undefined) {
    throw new BundleError('MANIFEST_INVALID', `${where} has no manifest.json.`, {
      path: 'manifest.json',
      issues: [{ path: '', message: 'manifest.json is missing' }],
    });
  }
  try {
    return parseManifest(bytes);
  } catch (cause) {
    if (!(cause instanceof ManifestError)) throw cause;
    const issues =
      cause.issues.length > 0
        ? cause.issues.map(({ path, message }) => ({ path, message }))
        : [{ path: '', message: cause.message }];
    const listed = issues
      .slice(0, 5)
      .map((issue) => `${issue.path || '(manifest)'}: ${issue.message}`)
      .join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    throw new BundleError(
      'MANIFEST_INVALID',
      `${where}: manifest.json is invalid: ${listed}${more}.`,
      { cause, path: 'manifest.json', issues },
    );
  }
}

/**
 * Checks that the files a manifest names are present: the component (`COMPONENT_MISSING`)
 * and the iframe entry and icon (`ASSET_MISSING`); a `precompiled.component` pin must match
 * the component's digest and size (`HASH_MISMATCH`).
 */
export function checkManifestFiles(
  manifest: Manifest,
  files: ReadonlyMap<string, Uint8Array>,
  where: string,
  hint: string,
): void {
  const paths = manifestPaths(manifest);
  const component = files.get(paths.entry);
  if (component === undefined) {
    throw new BundleError(
      'COMPONENT_MISSING',
      `${where} has no component at ${JSON.stringify(paths.entry)} (manifest "entry").${hint}`,
      { path: paths.entry },
    );
  }
  for (const path of paths.required) {
    if (!files.has(path)) {
      throw new BundleError(
        'ASSET_MISSING',
        `${where} has no ${JSON.stringify(path)}, which manifest.json names.`,
        { path },
      );
    }
  }
  const pin = manifest.precompiled?.component;
  if (pin !== undefined) {
    const digest = computeDigest(component);
    if (pin.digest !== digest || pin.size !== component.byteLength) {
      throw new BundleError(
        'HASH_MISMATCH',
        `${where}: component ${JSON.stringify(paths.entry)} is ${digest} (${component.byteLength} bytes) but manifest "precompiled.component" pins ${pin.digest} (${pin.size} bytes).`,
        { path: paths.entry },
      );
    }
  }
}

/** What the archive layer yields: files checked against the index, and their content hash. */
export interface OpenedArchive {
  readonly contentHash: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly digests: ReadonlyMap<string, string>;
  readonly index: BundleIndex;
}

function compareWithIndex(
  index: BundleIndex,
  actual: readonly BundleFileDigest[],
  contentHash: string,
): void {
  const listed = new Map(index.files.map((file) => [file.path, file]));
  if (listed.size !== index.files.length) {
    throw new BundleError('MALFORMED', `${BUNDLE_INDEX_PATH} lists a path twice.`, {
      path: BUNDLE_INDEX_PATH,
    });
  }
  for (const file of actual) {
    const entry = listed.get(file.path);
    if (entry === undefined) {
      throw new BundleError(
        'HASH_MISMATCH',
        `Bundle file ${JSON.stringify(file.path)} is not listed in ${BUNDLE_INDEX_PATH}.`,
        {
          path: file.path,
        },
      );
    }
    if (entry.sha256 !== file.sha256 || entry.size !== file.size) {
      throw new BundleError(
        'HASH_MISMATCH',
        `Bundle file ${JSON.stringify(file.path)} does not match its digest in ${BUNDLE_INDEX_PATH}: it is sha256:${file.sha256} (${file.size} bytes), the index says sha256:${entry.sha256} (${entry.size} bytes).`,
        { path: file.path },
      );
    }
    listed.delete(file.path);
  }
  const [missing] = listed.keys();
  if (missing !== undefined) {
    throw new BundleError(
      'HASH_MISMATCH',
      `${BUNDLE_INDEX_PATH} lists ${JSON.stringify(missing)}, which the bundle does not hold.`,
      {
        path: missing,
      },
    );
  }
  if (index.contentHash !== contentHash) {
    throw new BundleError(
      'HASH_MISMATCH',
      `${BUNDLE_INDEX_PATH} says the content hash is ${index.contentHash}, but the files hash to ${contentHash}.`,
      { path: BUNDLE_INDEX_PATH },
    );
  }
}

/** Archives a store has just opened to check them, by the bytes it returned; see {@link rememberOpened}. */
const openedByBytes = new WeakMap<
  Uint8Array,
  { readonly limits: string; readonly opened: OpenedArchive }
>();

/**
 * Records that `bytes` (as a bundle store returns them, after checking them) open to `opened`
 * under `limits`, so the next {@link openArchive} of the same bytes under the same limits (the
 * runner's `verifyBundle` right after its store read) takes this result instead of inflating
 * and hashing them again. The record is used once.
 */
export function rememberOpened(
  bytes: Uint8Array,
  limits: BundleLimits,
  opened: OpenedArchive,
): void {
  openedByBytes.set(bytes, { limits: JSON.stringify(limits), opened });
}

/**
 * Reads the archive and checks every file against the index, without looking at the
 * manifest: the integrity layer shared by {@link readBundle} and `verifyBundle`.
 */
export async function openArchive(
  bytes: Uint8Array,
  limits: BundleLimits,
  options?: ReadArchiveOptions,
): Promise<OpenedArchive> {
  const earlier = openedByBytes.get(bytes);
  if (earlier !== undefined) {
    openedByBytes.delete(bytes);
    if (earlier.limits === JSON.stringify(limits)) return earlier.opened;
  }
  const all = await readArchive(bytes, limits, options);
  const indexBytes = all.get(BUNDLE_INDEX_PATH);
  if (indexBytes === undefined) {
    throw new BundleError(
      'MALFORMED',
      `The archive has no ${BUNDLE_INDEX_PATH}, so it is not an Alga bundle; create bundles with \`alga pack\` or packBundle().`,
      { path: BUNDLE_INDEX_PATH },
    );
  }
  all.delete(BUNDLE_INDEX_PATH);
  const index = parseIndex(indexBytes);
  const actual = digestFiles(all, 'bundle');
  const contentHash = hashDigests(actual);
  compareWithIndex(index, actual, contentHash);
  const files = new Map(actual.map((file) => [file.path, all.get(file.path) as Uint8Array]));
  const digests = new Map(actual.map((file) => [file.path, `sha256:${file.sha256}`]));
  return { contentHash, files, digests, index };
}

/**
 * Reads a bundle (gzip or plain tar) entirely in memory and checks it: safe paths only,
 * no links or special files, within `limits`, every file matching the index, a valid
 * manifest and its component present. Throws {@link BundleError}; writes nothing to disk.
 * It does not check a signature: use `verifyBundle` for bundles from anyone else.
 *
 * @example
 * ```ts
 * const bundle = await readBundle(await readFile('ext.algabundle'));
 * console.log(bundle.manifest.name, bundle.contentHash, bundle.digests.get('ui/index.html'));
 * ```
 */
export async function readBundle(
  bytes: Uint8Array,
  limits?: Partial<BundleLimits>,
): Promise<ReadBundle> {
  const opened = await openArchive(bytes, resolveLimits(limits));
  const manifest = parseManifestBytes(opened.files.get('manifest.json'), 'The bundle');
  checkManifestFiles(manifest, opened.files, 'The bundle', '');
  return { manifest, ...opened };
}
