import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Folders never watched: installs, build output, VCS data, and `alga dev`'s own `.alga/`. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', '.alga']);

/** True when a changed path (relative to the project) can matter to a build. */
export function isWatched(path: string): boolean {
  const [first] = path.split(/[\\/]/);
  return first === undefined || !SKIPPED.has(first);
}

/**
 * A digest over every watched file's path and bytes. Taken after each build (whose own
 * outputs, such as a bundled `ui/app.js`, are then part of it), it tells a real edit from the
 * echo of a build's writes: only a different digest means something changed.
 */
export async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (folder: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const rel = relative(dir, path).split(sep).join('/');
      if (!isWatched(rel)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const bytes = await readFile(path).catch(() => undefined);
        if (bytes !== undefined) hash.update(`${rel}\0${bytes.byteLength}\0`).update(bytes);
      }
    }
  };
  await walk(dir);
  return hash.digest('hex');
}
