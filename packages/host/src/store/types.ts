/**
 * Content-addressed, write-once storage for bundle bytes. `put` checks the bundle and
 * files it under its content hash; `get` re-hashes what it read and throws
 * `HASH_MISMATCH` rather than return bytes that do not match their name.
 */
export interface BundleStore {
  /** Stores a bundle (read and checked first) and returns its content hash; storing it again is a no-op. */
  put(bytes: Uint8Array): Promise<string>;
  /**
   * The bundle with this content hash, re-hashed on read; `undefined` when absent. The next
   * `readBundle` or `verifyBundle` of the returned bytes takes that check's files, which are
   * views of the bytes: do not write to them.
   */
  get(contentHash: string): Promise<Uint8Array | undefined>;
  /** True when a bundle with this content hash is stored (not re-hashed). */
  has(contentHash: string): Promise<boolean>;
  /** Every stored content hash, sorted. */
  list(): Promise<string[]>;
}
