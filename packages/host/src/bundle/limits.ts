import { BundleError } from './errors.js';

/** Size caps applied when reading (and packing) a bundle; every one is enforced before any byte is kept. */
export interface BundleLimits {
  /** Sum of all file sizes, uncompressed, in bytes. Default 64 MiB. */
  readonly maxTotalBytes: number;
  /** Size of any one file, uncompressed, in bytes. Default 32 MiB. */
  readonly maxFileBytes: number;
  /** Number of archive entries (files and folders), the index not counted. Default 1000. */
  readonly maxFiles: number;
  /**
   * How many times its compressed size a gzip bundle may inflate to (beyond a 1 MiB floor).
   * Real bundles stay under 10x; a decompression bomb inflates 1000x. Default 100.
   */
  readonly maxCompressionRatio: number;
}

/** The limits used when none are given. */
export const DEFAULT_BUNDLE_LIMITS: BundleLimits = Object.freeze({
  maxTotalBytes: 64 * 1024 * 1024,
  maxFileBytes: 32 * 1024 * 1024,
  maxFiles: 1000,
  maxCompressionRatio: 100,
});

/** Inflated bytes always allowed, however small the compressed input (tar headers are mostly zeros). */
export const INFLATE_FLOOR_BYTES = 1024 * 1024;

/**
 * Tar bytes allowed per entry beyond its content: a 512-byte header, a pax header block
 * with its record (long or non-ASCII names) and up to 511 bytes of padding.
 */
const ENTRY_OVERHEAD_BYTES = 4096;

/** Merges `overrides` into the defaults, rejecting values that are not positive integers. */
export function resolveLimits(overrides: Partial<BundleLimits> = {}): BundleLimits {
  const limits = { ...DEFAULT_BUNDLE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new BundleError(
        'INVALID_OPTION',
        `Bundle limit ${name} must be a positive integer, got ${String(value)}.`,
      );
    }
  }
  return limits;
}

/** The largest tar stream a bundle within `limits` can be (content and index, their headers, the end blocks). */
export function maxArchiveBytes(limits: BundleLimits): number {
  return limits.maxTotalBytes + (limits.maxFiles + 1) * ENTRY_OVERHEAD_BYTES + 1024;
}
