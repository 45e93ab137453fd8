import { inflateArchive } from '../bundle/archive.js';
import { BundleError } from '../bundle/errors.js';
import type { BundleLimits } from '../bundle/limits.js';
import { type OpenedArchive, openArchive, readBundle, rememberOpened } from '../bundle/read.js';

/** What a store writes for an admitted bundle. */
export interface AdmittedBundle {
  readonly contentHash: string;
  /** The bytes to store: the plain tar when the store keeps bundles inflated, else the bytes as published. */
  readonly stored: Uint8Array;
}

/**
 * Reads and checks a bundle before it is stored; nothing is written if this throws. With
 * `inflate`, a gzip bundle is stored as its plain tar: the content hash and signature cover the
 * files, not the archive, so every later read verifies without inflating again. The gzip is
 * inflated once, under the reader's own caps, and the tar is what gets checked.
 */
export async function admitBundle(
  bytes: Uint8Array,
  limits: BundleLimits,
  inflate: boolean,
): Promise<AdmittedBundle> {
  const stored = inflate ? await inflateArchive(bytes, limits) : bytes;
  const { contentHash } = await readBundle(stored, limits);
  return { contentHash, stored };
}

/**
 * Re-hashes stored bytes; throws `HASH_MISMATCH` unless they are the bundle named `contentHash`.
 * `bytes` must be the store's own fresh read, which only its caller holds: the files opened
 * here (and handed to the next `openArchive` of the same bytes) are views of them.
 */
export async function checkStored(
  bytes: Uint8Array,
  contentHash: string,
  where: string,
  limits: BundleLimits,
): Promise<Uint8Array> {
  let opened: OpenedArchive;
  try {
    opened = await openArchive(bytes, limits, { views: true });
  } catch (cause) {
    throw new BundleError(
      'HASH_MISMATCH',
      `Stored object ${where} is not a readable bundle any more (${cause instanceof BundleError ? cause.code : 'error'}); it is corrupt and was not served.`,
      { cause, path: where },
    );
  }
  if (opened.contentHash !== contentHash) {
    throw new BundleError(
      'HASH_MISMATCH',
      `Stored object ${where} hashes to ${opened.contentHash}, not to its name ${contentHash}; it is corrupt or was tampered with and was not served.`,
      { path: where },
    );
  }
  rememberOpened(bytes, limits, opened);
  return bytes;
}
