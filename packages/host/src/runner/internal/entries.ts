import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunnerError } from '../errors';

/** Script files the isolates start from. */
export interface IsolateEntries {
  readonly worker: URL;
  readonly process: URL;
}

let entries: Promise<IsolateEntries> | undefined;

/**
 * Where the worker-thread and child-process entry scripts are. A built package ships them
 * next to its `index.js` (`runner-worker.js`, `runner-process.js`). Run from TypeScript sources
 * (the workspace's tests and benches), a worker cannot load `.ts`, so the two entries are
 * bundled once with esbuild (a workspace tool, absent from installs of the built package).
 */
export function isolateEntries(): Promise<IsolateEntries> {
  entries ??= locate().catch((error: unknown) => {
    entries = undefined;
    throw error;
  });
  return entries;
}

async function locate(): Promise<IsolateEntries> {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) {
    const worker = new URL('./runner-worker.js', import.meta.url);
    const process = new URL('./runner-process.js', import.meta.url);
    if (existsSync(worker) && existsSync(process)) return { worker, process };
    throw new RunnerError(
      'CONFIG',
      `runner entry scripts are missing next to ${here}; reinstall @alga/host`,
    );
  }
  const runnerDir = dirname(dirname(here));
  const esbuildName = 'esbuild';
  let esbuild: typeof import('esbuild');
  try {
    esbuild = (await import(esbuildName)) as typeof import('esbuild');
  } catch (error) {
    throw new RunnerError(
      'CONFIG',
      'running @alga/host from TypeScript sources needs esbuild installed',
      {
        cause: error,
      },
    );
  }
  const result = await esbuild.build({
    entryPoints: {
      'runner-worker': join(runnerDir, 'worker', 'entry.ts'),
      'runner-process': join(runnerDir, 'process', 'entry.ts'),
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    outdir: 'out',
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  const hash = createHash('sha256');
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const dir = join(tmpdir(), 'alga-runner-entries', hash.digest('hex').slice(0, 16));
  const worker = pathToFileURL(join(dir, 'runner-worker.mjs'));
  const process = pathToFileURL(join(dir, 'runner-process.mjs'));
  if (existsSync(worker) && existsSync(process)) return { worker, process };
  await mkdir(dir, { recursive: true });
  for (const file of result.outputFiles) {
    const target = join(
      dir,
      file.path.endsWith('runner-worker.mjs') ? 'runner-worker.mjs' : 'runner-process.mjs',
    );
    const staging = `${target}.${globalThis.process.pid}.tmp`;
    await writeFile(staging, file.contents);
    await rename(staging, target);
  }
  return { worker, process };
}
