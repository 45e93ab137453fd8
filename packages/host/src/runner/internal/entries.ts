import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../../atomic-file';
import { RunnerError } from '../errors';

/**
 * A digest of what the isolate bundles are made of: every source file of the package, and the
 * workspace lockfile, which pins what they import from `node_modules`. Read synchronously: a
 * hundred small files one thread-pool round trip at a time took 25 ms of a process's first
 * request (this runs once per process, and only from TypeScript sources).
 */
function sourceDigest(srcDir: string): string {
  const hash = createHash('sha256');
  const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => {
      // `parentPath` arrived in Node 20.12; earlier releases call it `path`.
      const { parentPath, path } = entry as { parentPath?: string; path?: string };
      return join(parentPath ?? path ?? srcDir, entry.name);
    })
    .sort();
  for (const file of files) hash.update(file).update('\0').update(readFileSync(file));
  for (let dir = srcDir; ; dir = dirname(dir)) {
    const lockfile = join(dir, 'package-lock.json');
    if (existsSync(lockfile)) {
      hash.update(readFileSync(lockfile));
      break;
    }
    if (dirname(dir) === dir) break;
  }
  return hash.digest('hex').slice(0, 16);
}

/** Script files the isolates start from. */
export interface IsolateEntries {
  readonly worker: URL;
  readonly process: URL;
}

let entries: Promise<IsolateEntries> | undefined;

/**
 * Where the worker-thread and child-process entry scripts are. A built package ships them
 * next to its `index.js` (`runner-worker.cjs`, `runner-process.cjs`). Run from TypeScript sources
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
    const worker = new URL('./runner-worker.cjs', import.meta.url);
    const process = new URL('./runner-process.cjs', import.meta.url);
    if (existsSync(worker) && existsSync(process)) return { worker, process };
    throw new RunnerError(
      'CONFIG',
      `runner entry scripts are missing next to ${here}; reinstall @alga/host`,
    );
  }
  const runnerDir = dirname(dirname(here));
  // Bundling takes ~0.2 s per process; the sources it reads decide the output, so a digest of
  // them finds an earlier bundle first.
  const dir = join(tmpdir(), 'alga-runner-entries', sourceDigest(dirname(runnerDir)));
  const worker = pathToFileURL(join(dir, 'runner-worker.cjs'));
  const process = pathToFileURL(join(dir, 'runner-process.cjs'));
  if (existsSync(worker) && existsSync(process)) return { worker, process };
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
    // CommonJS: a worker starts about 4 ms sooner than from an ES module (no module loader to
    // set up), which a replacement for a killed isolate waits for.
    format: 'cjs',
    target: 'node20',
    write: false,
    outdir: 'out',
    outExtension: { '.js': '.cjs' },
    logLevel: 'silent',
  });
  for (const file of result.outputFiles) {
    await writeFileAtomic(
      join(
        dir,
        file.path.endsWith('runner-worker.cjs') ? 'runner-worker.cjs' : 'runner-process.cjs',
      ),
      file.contents,
    );
  }
  return { worker, process };
}
