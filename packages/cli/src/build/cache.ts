import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findUp } from './paths';

/**
 * The default cache folder: `node_modules/.cache/alga/build` in the nearest folder above the
 * project that has a `node_modules` (the project itself after `npm install`).
 */
export function defaultCacheDir(projectDir: string): string {
  const base =
    findUp(projectDir, (dir) => existsSync(join(dir, 'node_modules'))) ?? resolve(projectDir);
  return join(base, 'node_modules', '.cache', 'alga', 'build');
}

/** A cached build: the component bytes and its metadata. */
export interface CacheEntry {
  readonly component: Uint8Array;
  readonly metadata: string;
}

/** A content-addressed folder of finished builds, keyed by hex digest. */
export class BuildCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The entry for `key`, or undefined on a miss (or an entry half-written by a crash). */
  async get(key: string): Promise<CacheEntry | undefined> {
    const entry = join(this.dir, key);
    try {
      const [component, metadata] = await Promise.all([
        readFile(join(entry, 'component.wasm')),
        readFile(join(entry, 'component.json'), 'utf8'),
      ]);
      return { component, metadata };
    } catch {
      return undefined;
    }
  }

  /**
   * Stores an entry. It is written to a private folder and renamed into place, so readers see
   * whole entries only; when two builds race, the first rename wins and the other is dropped.
   */
  async put(key: string, entry: CacheEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const staging = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      await writeFile(join(staging, 'component.wasm'), entry.component);
      await writeFile(join(staging, 'component.json'), entry.metadata);
      await rename(staging, join(this.dir, key));
    } catch (error) {
      if (!existsSync(join(this.dir, key, 'component.json'))) throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
}
