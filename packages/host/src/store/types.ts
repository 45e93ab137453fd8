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
  get(contentHash: string, options?: BundleReadOptions): Promise<Uint8Array | undefined>;
  /** True when a bundle with this content hash is stored (not re-hashed). */
  has(contentHash: string): Promise<boolean>;
  /** Every stored content hash, sorted. */
  list(): Promise<string[]>;
}

/** Options of {@link BundleStore.get}. */
export interface BundleReadOptions {
  /**
   * Gives the buffer to read a bundle of `byteLength` bytes into (at least that long); the bytes
   * returned are then a view of it. For a caller that reads bundles one after another and is
   * done with each before it reuses the buffer: memory already touched is cheap to fill, where
   * a new 12 MB buffer faults its pages in one by one (30-50 ms on a VM). A store may ignore it.
   */
  readonly allocate?: (byteLength: number) => Uint8Array<ArrayBuffer>;
}
