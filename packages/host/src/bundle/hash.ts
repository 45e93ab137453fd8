import { createHash } from 'node:crypto';
import { BundleError } from './errors.js';
import { assertSafePath, compareUtf8, PathSet } from './paths.js';

/** The first line of the canonical listing; it names the format version it hashes. */
export const CANONICAL_HEADER = 'alga-bundle/v1\n';

const CONTENT_HASH = /^sha256:[0-9a-f]{64}$/;

/** One file of a bundle as the index and the content hash see it. */
export interface BundleFileDigest {
  /** Bundle path (relative POSIX path). */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Lower-case hex sha256 of the file's bytes. */
  readonly sha256: string;
}

/** Files to hash or pack: a map or a plain object from bundle path to bytes. */
export type BundleFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** Lower-case hex sha256 of `bytes` (native `node:crypto`). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The digest of one file as kept in a bundle's `digests` map: `sha256:<hex>`. Compare it
 * with `bundle.digests.get(path)` to verify one asset on its own.
 *
 * @example
 * ```ts
 * if (computeDigest(bytes) !== bundle.digests.get('ui/index.html')) throw new Error('tampered');
 * ```
 */
export function computeDigest(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

/** True when `value` is a content hash: `sha256:` and 64 lower-case hex digits. */
export function isContentHash(value: string): boolean {
  return CONTENT_HASH.test(value);
}

/** Throws `INVALID_CONTENT_HASH` unless `value` is a content hash. */
export function assertContentHash(value: string, where: string): void {
  if (!isContentHash(value)) {
    throw new BundleError(
      'INVALID_CONTENT_HASH',
      `${where}: ${JSON.stringify(value.slice(0, 80))} is not a content hash; expected "sha256:" followed by 64 lower-case hex digits.`,
    );
  }
}

/** Entries of `files` in canonical (UTF-8 byte) order. */
export function sortedEntries(files: BundleFiles): Array<[string, Uint8Array]> {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  return entries.sort(([a], [b]) => compareUtf8(a, b));
}

/** Per-file digests of `files`, in canonical order, after checking every path. */
export function digestFiles(files: BundleFiles, where: string): BundleFileDigest[] {
  const seen = new PathSet();
  return sortedEntries(files).map(([path, bytes]) => {
    assertSafePath(path, where);
    seen.addFile(path, where);
    return { path, size: bytes.byteLength, sha256: sha256Hex(bytes) };
  });
}

/**
 * The content hash of a list of file digests (already in canonical order): sha256 over
 * the canonical listing `alga-bundle/v1\n` followed by `path NUL size NUL sha256hex LF`
 * per file. Paths cannot hold NUL or LF, so the listing is unambiguous.
 */
export function hashDigests(digests: readonly BundleFileDigest[]): string {
  const hash = createHash('sha256').update(CANONICAL_HEADER, 'utf8');
  for (const file of digests) hash.update(`${file.path}\0${file.size}\0${file.sha256}\n`, 'utf8');
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The content hash of a set of files: the same files give the same `sha256:<hex>` on any
 * machine, whatever their order, timestamps or owners. `docs/bundle-format.md` defines it
 * precisely; the bundle's own index file is never part of it.
 *
 * @example
 * ```ts
 * const hash = computeContentHash({ 'manifest.json': manifestBytes, 'dist/component.wasm': wasm });
 * ```
 */
export function computeContentHash(files: BundleFiles): string {
  return hashDigests(digestFiles(files, 'computeContentHash'));
}
