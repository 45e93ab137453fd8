import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { BundleError } from '../bundle/errors.js';
import { assertContentHash } from '../bundle/hash.js';
import { type BundleLimits, maxArchiveBytes, resolveLimits } from '../bundle/limits.js';
import { admitBundle, checkStored } from './checks.js';
import type { BundleReadOptions, BundleStore } from './types.js';

/** Options of {@link FsBundleStore}. */
export interface FsBundleStoreOptions {
  /** Folder holding the store; bundles live at `<root>/sha256/<hex>`. Created on first `put`. */
  readonly root: string;
  /** Limits for checking bundles on `put` and re-hashing them on `get`. */
  readonly limits?: Partial<BundleLimits>;
  /**
   * Keep each bundle as its plain tar (gzip undone once, on `put`) rather than as published.
   * Reads then verify without inflating: about 17 ms instead of 80 ms for a 12 MiB bundle, for
   * about three times the disk. Default `true`. Objects stored either way are read either way.
   */
  readonly inflate?: boolean;
}

const HEX_NAME = /^[0-9a-f]{64}$/;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function ioError(action: string, path: string, cause: unknown): BundleError {
  return new BundleError(
    'IO',
    `Bundle store could not ${action} ${path} (${errnoCode(cause) ?? 'error'}).`,
    {
      cause,
      path,
    },
  );
}

/**
 * The file's bytes in one buffer of its size (from `allocate` when given), read in as few calls
 * as the kernel allows: `readFile` reads 512 KiB per thread-pool round trip, a third of a
 * 12 MiB bundle's load.
 */
async function readWhole(
  path: string,
  cap: number,
  allocate: BundleReadOptions['allocate'],
): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size > cap) {
      throw new BundleError(
        'TOO_LARGE',
        `Stored object ${path} is ${size} bytes, over the ${cap}-byte archive limit; it was not read.`,
        { path },
      );
    }
    const bytes = allocate === undefined ? new Uint8Array(size) : callerBuffer(allocate, size);
    let filled = 0;
    while (filled < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === bytes.byteLength ? bytes : bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** A new view of `size` bytes of the caller's buffer (each read is a new view: see `rememberOpened`). */
function callerBuffer(
  allocate: (byteLength: number) => Uint8Array<ArrayBuffer>,
  size: number,
): Uint8Array {
  const buffer = allocate(size);
  if (buffer.byteLength < size) {
    throw new RangeError(
      `the read buffer holds ${buffer.byteLength} bytes, not the ${size} asked for`,
    );
  }
  return buffer.subarray(0, size);
}

/**
 * The embedded bundle store: one file per bundle at `<root>/sha256/<hex>`, kept as a plain tar
 * unless `inflate: false`. Writes go to a
 * temporary file in the same folder, are fsynced, then renamed into place, so a reader
 * never sees half a bundle; an existing object is never rewritten.
 *
 * @example
 * ```ts
 * const store = new FsBundleStore({ root: '/var/lib/alga/bundles' });
 * const hash = await store.put(bytes);
 * const again = await store.get(hash); // re-hashed; throws HASH_MISMATCH if the file was altered
 * ```
 */
export class FsBundleStore implements BundleStore {
  /** The store's root folder (absolute). */
  readonly root: string;
  readonly #limits: BundleLimits;
  readonly #objects: string;
  readonly #inflate: boolean;

  constructor(options: FsBundleStoreOptions) {
    this.root = resolve(options.root);
    this.#limits = resolveLimits(options.limits);
    this.#inflate = options.inflate ?? true;
    this.#objects = join(this.root, 'sha256');
  }

  #pathOf(contentHash: string): string {
    assertContentHash(contentHash, 'FsBundleStore');
    return join(this.#objects, contentHash.slice('sha256:'.length));
  }

  async put(bytes: Uint8Array): Promise<string> {
    const { contentHash, stored } = await admitBundle(bytes, this.#limits, this.#inflate);
    const target = this.#pathOf(contentHash);
    if (await this.#exists(target)) return contentHash;
    try {
      // Same content under the same name: if a concurrent put won the race, replacing it changes nothing.
      await writeFileAtomic(target, stored, { mode: 0o644, durable: true });
    } catch (error) {
      throw ioError('write', target, error);
    }
    return contentHash;
  }

  async get(contentHash: string, options?: BundleReadOptions): Promise<Uint8Array | undefined> {
    const path = this.#pathOf(contentHash);
    let bytes: Uint8Array;
    try {
      bytes = await readWhole(path, maxArchiveBytes(this.#limits), options?.allocate);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      // Over the limit, or a read buffer too small for the file (the caller's mistake): not the disk's.
      if (error instanceof BundleError || error instanceof RangeError) throw error;
      throw ioError('read', path, error);
    }
    return checkStored(bytes, contentHash, path, this.#limits);
  }

  async has(contentHash: string): Promise<boolean> {
    return this.#exists(this.#pathOf(contentHash));
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.#objects);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw ioError('list', this.#objects, error);
    }
    return names
      .filter((name) => HEX_NAME.test(name))
      .sort()
      .map((name) => `sha256:${name}`);
  }

  async #exists(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw ioError('inspect', path, error);
    }
  }
}
