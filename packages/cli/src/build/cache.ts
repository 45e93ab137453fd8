import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findUp } from './paths';

/**
 * The root of alga's caches: `$ALGA_CACHE_DIR` when set (to share one cache between projects
 * or keep it across CI runs), else `node_modules/.cache/alga` in the nearest folder above
 * `from` that has a `node_modules` (the project itself after `npm install`).
 */
export function cacheRoot(from: string): string {
  const configured = process.env.ALGA_CACHE_DIR;
  if (configured !== undefined && configured !== '') return resolve(configured);
  const base = findUp(from, (dir) => existsSync(join(dir, 'node_modules'))) ?? resolve(from);
  return join(base, 'node_modules', '.cache', 'alga');
}

/** The default build cache folder: `build/` under {@link cacheRoot}. */
export function defaultCacheDir(projectDir: string): string {
  return join(cacheRoot(projectDir), 'build');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock is left over when its builder (same host) is gone, e.g. after Ctrl-C, or when it is
 * older than `staleMs` (a builder on another host sharing the cache).
 */
async function lockIsStale(lock: string, staleMs: number): Promise<boolean> {
  const [text, info] = await Promise.all([
    readFile(lock, 'utf8').catch(() => ''),
    stat(lock).catch(() => undefined),
  ]);
  if (info === undefined) return false;
  const [pid, host] = text.split('\n');
  if (host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !processAlive(Number(pid))) {
    return true;
  }
  return Date.now() - info.mtimeMs > staleMs;
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
   * Runs `build` unless another process is building the same key: then waits for it and
   * returns its entry. Parallel builds of one project (test workers, CI jobs sharing a cache)
   * so componentize once. A lock older than `staleMs` is taken to be left by a crash.
   */
  async getOrBuild(
    key: string,
    build: () => Promise<CacheEntry>,
    staleMs = 600_000,
  ): Promise<CacheEntry> {
    await mkdir(this.dir, { recursive: true });
    const lock = join(this.dir, `.${key}.lock`);
    for (;;) {
      const cached = await this.get(key);
      if (cached !== undefined) return cached;
      let handle: Awaited<ReturnType<typeof open>> | undefined;
      try {
        handle = await open(lock, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (await lockIsStale(lock, staleMs)) await rm(lock, { force: true });
        else await sleep(250);
        continue;
      }
      try {
        await handle.writeFile(`${process.pid}\n${hostname()}\n`);
        await handle.close();
        const raced = await this.get(key);
        if (raced !== undefined) return raced;
        const entry = await build();
        await this.put(key, entry);
        return entry;
      } finally {
        await rm(lock, { force: true });
      }
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
