import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { BENCH_DIR } from './report';

/** Starts `bench/lib/<script>` from its TypeScript sources in a new process, with an IPC channel. */
export function spawnScript(script: string, args: readonly string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=@alga/source', '--import', 'tsx', join(BENCH_DIR, 'lib', script), ...args],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
}

/** The first IPC message of `child`, running `script`; fails if it exits first. */
export async function firstMessage(child: ChildProcess, script: string): Promise<unknown> {
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${String(code)} before it answered`);
    }),
  ]);
  return message;
}

/** Runs `bench/lib/<script>` to its end and resolves with the message it sent. */
export async function runScript(script: string, args: readonly string[]): Promise<unknown> {
  const child = spawnScript(script, args);
  const exited = once(child, 'exit');
  const message = await firstMessage(child, script);
  await exited;
  return message;
}
