import { BundleError } from '../bundle/errors.js';
import type { BundleLimits } from '../bundle/limits.js';
import { type OpenedArchive, openArchive, readBundle, rememberOpened } from '../bundle/read.js';

/** Reads and checks a bundle before it is stored; returns its content hash. Nothing is written if this throws. */
export async function admitBundle(bytes: Uint8Array, limits: BundleLimits): Promise<string> {
  return (await readBundle(bytes, limits)).contentHash;
}

/** Re-hashes stored bytes; throws `HASH_MISMATCH` unless they are the bundle named `contentHash`. */
export async function checkStored(
  bytes: Uint8Array,
  contentHash: string,
  where: string,
  limits: BundleLimits,
): Promise<Uint8Array> {
  let opened: OpenedArchive;
  try {
    opened = await openArchive(bytes, limits);
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
