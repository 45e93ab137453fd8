import { HostCallError } from './errors';

/** Limits of a {@link MemoryStorage}. */
export interface MemoryStorageLimits {
  /** Longest key in UTF-8 bytes (default 512). */
  maxKeyBytes?: number;
  /** Largest value in bytes (default 1 MiB). */
  maxValueBytes?: number;
  /** Most keys the store holds (default 10 000). */
  maxKeys?: number;
  /** Page size when the guest gives none (default 100). */
  defaultListLimit?: number;
  /** Largest page (default 1000). */
  maxListLimit?: number;
}

interface Stored {
  value: Uint8Array;
  revision: bigint;
}

const encoder = new TextEncoder();

/**
 * The in-memory key-value store behind `ctx.storage` in tests, with the host's semantics:
 * revisions that grow by one per write, compare-and-set (`0` = must not exist), lexicographic
 * pages with a cursor, and size limits. Pass one instance to several invocations to keep state.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage();
 * await ext.invoke({ path: '/count' }, { storage });
 * expect(storage.getJson('count')).toBe(1);
 * ```
 */
export class MemoryStorage {
  readonly #entries = new Map<string, Stored>();
  readonly #limits: Required<MemoryStorageLimits>;

  constructor(limits: MemoryStorageLimits = {}) {
    this.#limits = {
      maxKeyBytes: limits.maxKeyBytes ?? 512,
      maxValueBytes: limits.maxValueBytes ?? 1_048_576,
      maxKeys: limits.maxKeys ?? 10_000,
      defaultListLimit: limits.defaultListLimit ?? 100,
      maxListLimit: limits.maxListLimit ?? 1000,
    };
  }

  #checkKey(key: string): void {
    const bytes = encoder.encode(key).byteLength;
    if (bytes === 0 || bytes > this.#limits.maxKeyBytes) {
      throw new HostCallError(
        'invalid',
        `a key must be 1 to ${this.#limits.maxKeyBytes} bytes, got ${bytes}`,
      );
    }
  }

  #checkRevision(key: string, expected: bigint | undefined): void {
    if (expected === undefined) return;
    const current = this.#entries.get(key)?.revision ?? 0n;
    if (current !== expected) {
      throw new HostCallError(
        'conflict',
        `key ${JSON.stringify(key)} is at revision ${current}, not ${expected}`,
      );
    }
  }

  /** WIT `storage.get`. */
  get(key: string): { key: string; value: Uint8Array; revision: bigint } | undefined {
    this.#checkKey(key);
    const stored = this.#entries.get(key);
    return stored === undefined
      ? undefined
      : { key, value: stored.value.slice(), revision: stored.revision };
  }

  /** WIT `storage.put`: the new revision. */
  put(key: string, value: Uint8Array, expectedRevision?: bigint): bigint {
    this.#checkKey(key);
    if (value.byteLength > this.#limits.maxValueBytes) {
      throw new HostCallError(
        'limit',
        `value of ${value.byteLength} bytes is over the cap of ${this.#limits.maxValueBytes} bytes`,
      );
    }
    this.#checkRevision(key, expectedRevision);
    const current = this.#entries.get(key);
    if (current === undefined && this.#entries.size >= this.#limits.maxKeys) {
      throw new HostCallError(
        'limit',
        `the store already holds ${this.#limits.maxKeys} keys, its quota; delete some first`,
      );
    }
    const revision = (current?.revision ?? 0n) + 1n;
    this.#entries.set(key, { value: value.slice(), revision });
    return revision;
  }

  /** WIT `storage.delete`: whether the key existed. */
  delete(key: string, expectedRevision?: bigint): boolean {
    this.#checkKey(key);
    this.#checkRevision(key, expectedRevision);
    return this.#entries.delete(key);
  }

  /** WIT `storage.list-keys`. */
  listKeys(
    prefix: string,
    cursor?: string,
    limit?: number,
  ): { keys: string[]; nextCursor?: string } {
    const size = Math.min(
      Math.max(limit ?? this.#limits.defaultListLimit, 1),
      this.#limits.maxListLimit,
    );
    const matching = [...this.#entries.keys()]
      .filter((key) => key.startsWith(prefix) && (cursor === undefined || key > cursor))
      .sort();
    const keys = matching.slice(0, size);
    const last = keys.at(-1);
    return matching.length > size && last !== undefined ? { keys, nextCursor: last } : { keys };
  }

  /** The stored value of `key` parsed as JSON (for assertions), or `undefined`. */
  getJson(key: string): unknown {
    const stored = this.#entries.get(key);
    return stored === undefined
      ? undefined
      : (JSON.parse(new TextDecoder().decode(stored.value)) as unknown);
  }

  /** The revision of `key`, 0 when it is not set. */
  revision(key: string): number {
    return Number(this.#entries.get(key)?.revision ?? 0n);
  }

  /** The keys held, sorted. */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }
}
