import { BundleError } from '../bundle/errors.js';
import type { BundleLimits } from '../bundle/limits.js';
import { openArchive, readBundle } from '../bundle/read.js';

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
  let actual: string;
  try {
    actual = (await openArchive(bytes, limits)).contentHash;
  } catch (cause) {
    throw new BundleError(
      'HASH_MISMATCH',
      `Stored object ${where} is not a readable bundle any more (${cause instanceof BundleError ? cause.code : 'error'}); it is corrupt and was not served.`,
      { cause, path: where },
    );
  }
  if (actual !== contentHash) {
    throw new BundleError(
      'HASH_MISMATCH',
      `Stored object ${where} hashes to ${actual}, not to its name ${contentHash}; it is corrupt or was tampered with and was not served.`,
      { path: where },
    );
  }
  return bytes;
}
