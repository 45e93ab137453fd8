import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How {@link writeFileAtomic} writes. */
export interface AtomicWriteOptions {
  /** Permission bits of a new file (default `0o666`, less the umask). */
  readonly mode?: number;
  /**
   * Flush the file and then its folder to the disk before returning, so a power cut after
   * the call neither loses the new file nor leaves it empty. For records the host cannot
   * rebuild (bundles, tenant keys); caches skip it.
   */
  readonly durable?: boolean;
}

/**
 * Writes `data` to `path` through a temporary file renamed into place, so a reader sees the
 * old file or the new one, never half of one. The temporary name is unique, so two writers in
 * one process cannot write into each other's file, and it is removed when the write fails.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const staging = `${path}.${randomUUID()}.tmp`;
  try {
    const file = await open(staging, 'wx', options.mode ?? 0o666);
    try {
      await file.writeFile(data);
      if (options.durable === true) await file.sync();
    } finally {
      await file.close();
    }
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
  if (options.durable === true) {
    // Without syncing the folder a crash can forget the new name.
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
