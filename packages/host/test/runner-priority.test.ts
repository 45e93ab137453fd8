import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPinoLogger } from '../src/observability/logger';
import { createRunner } from '../src/runner/runner';
import {
  bodyJson,
  createFixtureWorld,
  type FixtureBundle,
  type FixtureWorld,
  requestFor,
} from './helpers/runner-fixtures';

/** `nice` of a `/proc/.../stat` line (field 19; the command before it may hold spaces). */
function niceOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function readStat(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Niceness of every thread of this process, and of every thread of its child processes. */
function guestNiceness(): { threads: number[]; children: number[] } {
  const threads = readdirSync('/proc/self/task').flatMap((tid) => {
    const stat = readStat(`/proc/self/task/${tid}/stat`);
    return stat === undefined ? [] : [niceOf(stat)];
  });
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      const stat = readStat(`/proc/${pid}/stat`);
      if (stat === undefined) return [];
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) return [];
      return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
        const threadStat = readStat(`/proc/${pid}/task/${tid}/stat`);
        return threadStat === undefined ? [] : [niceOf(threadStat)];
      });
    });
  return { threads, children };
}

describe.runIf(process.platform === 'linux')('guest scheduling priority', () => {
  let world: FixtureWorld;
  let kitchen: FixtureBundle;

  beforeAll(async () => {
    world = await createFixtureWorld();
    kitchen = await world.bundle('kitchen');
  });

  const runnerFor = (mode: 'worker' | 'process', niceness?: number) =>
    createRunner({
      store: world.store,
      trust: world.trust,
      signatures: world.signatures,
      dataDir: world.dataDir,
      isolation: { mode, size: 1, spares: 0, ...(niceness === undefined ? {} : { niceness }) },
      logger: createPinoLogger('silent'),
    });

  it('runs worker threads at niceness 10 by default and leaves the host thread as it was', async () => {
    const hostNice = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
    const before = guestNiceness().threads.filter((nice) => nice === 10).length;
    const runner = runnerFor('worker');
    try {
      const answer = await runner.execute(requestFor(kitchen, '/calls'));
      expect(bodyJson(answer)).toEqual({ calls: 1 });
      expect(guestNiceness().threads.filter((nice) => nice === 10).length).toBe(before + 1);
      expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(hostNice);
    } finally {
      await runner.close();
    }
  });

  it('runs a child process, and the thread it runs guests on, at the configured niceness', async () => {
    const runner = runnerFor('process', 13);
    try {
      const answer = await runner.execute(requestFor(kitchen, '/calls'));
      expect(bodyJson(answer)).toEqual({ calls: 1 });
      // Its main thread and its guest's worker thread; threads Node starts before the entry
      // runs (V8's platform, libuv) keep the priority they were started with.
      expect(guestNiceness().children.filter((nice) => nice === 13).length).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      await runner.close();
    }
  });

  it('refuses a niceness outside 0 to 19, naming the option', () => {
    expect(() => runnerFor('worker', 20)).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        message: 'isolation.niceness must be an integer from 0 to 19, got 20',
      }),
    );
  });
});
