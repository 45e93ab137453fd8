import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `data` to `path` through a temporary file renamed into place, so a reader sees the
 * old file or the new one, never half of one. The temporary name is unique, so two writers in
 * one process cannot write into each other's file, and it is removed when the write fails.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(staging, data, options.mode === undefined ? {} : { mode: options.mode });
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}
