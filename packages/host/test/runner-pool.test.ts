import { pino } from 'pino';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createRunner, type EmbeddedRunner } from '../src/runner/runner';
import {
  createFixtureWorld,
  type FixtureBundle,
  type FixtureWorld,
  requestFor,
} from './helpers/runner-fixtures';

describe('isolate pool start-up', () => {
  let world: FixtureWorld;
  let kitchen: FixtureBundle;
  const runnerWith = (size: number, spares: number, replaceAheadMs?: number): EmbeddedRunner =>
    createRunner({
      store: world.store,
      trust: world.trust,
      signatures: world.signatures,
      dataDir: world.dataDir,
      isolation: { size, spares, ...(replaceAheadMs === undefined ? {} : { replaceAheadMs }) },
      logger: pino({ level: 'silent' }),
    });
  /** Runs `path` and records the largest pool size seen while it ran. */
  const largestPoolWhile = async (runner: EmbeddedRunner, path: string, timeoutMs: number) => {
    let largest = runner.stats().pool.size;
    const sampler = setInterval(() => {
      largest = Math.max(largest, runner.stats().pool.size);
    }, 5);
    try {
      const response = await runner.execute(requestFor(kitchen, path, { limits: { timeoutMs } }));
      return { response, largest, sizeAtAnswer: runner.stats().pool.size };
    } finally {
      clearInterval(sampler);
    }
  };

  beforeAll(async () => {
    world = await createFixtureWorld();
    kitchen = await world.bundle('kitchen');
    // The transpile cache on disk, as after a restart: the first answer then takes well under
    // a second, the pool's own deadline for starting the rest.
    const primer = runnerWith(1, 0);
    expect((await primer.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
    await primer.close();
  });

  it('starts one isolate at once and the rest once it has answered', async () => {
    const runner = runnerWith(2, 1);
    try {
      const first = runner.execute(requestFor(kitchen, '/echo'));
      await vi.waitFor(() => expect(runner.stats().pool.size).toBeGreaterThan(0));
      expect(runner.stats().pool.size).toBe(1);
      expect((await first).status).toBe(200);
      expect(runner.stats().pool.size).toBe(3);
    } finally {
      await runner.close();
    }
  });

  it('starts the rest at once when more requests wait than isolates are starting', async () => {
    const runner = runnerWith(2, 1);
    try {
      let settled = 0;
      const spins = [1, 2].map(() =>
        runner.execute(requestFor(kitchen, '/spin?ms=300')).finally(() => settled++),
      );
      await vi.waitFor(() => expect(runner.stats().pool.size).toBe(3), { timeout: 300 });
      expect(settled).toBe(0);
      for (const response of await Promise.all(spins)) expect(response.status).toBe(200);
    } finally {
      await runner.close();
    }
  });

  it('starts the replacement of an invocation still running before its deadline', async () => {
    const runner = runnerWith(1, 0);
    try {
      expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
      // 250 ms ahead of a 1 s deadline: the standby has 750 ms to start before the kill.
      const looped = await largestPoolWhile(runner, '/loop', 1_000);
      expect(looped.response.status).toBe(504);
      expect(looped.largest).toBe(2);
      // The standby took the killed isolate's place: nothing else was started for it.
      expect(looped.sizeAtAnswer).toBe(1);
      expect(runner.stats().pool.replaced).toBe(1);
      const after = await runner.execute(requestFor(kitchen, '/echo'));
      expect(after.status).toBe(200);
      expect(runner.stats().pool.size).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('starts no standby when replaceAheadMs is 0', async () => {
    const runner = runnerWith(1, 0, 0);
    try {
      expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
      const looped = await largestPoolWhile(runner, '/loop', 600);
      expect(looped.response.status).toBe(504);
      expect(looped.largest).toBe(1);
      expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
      expect(runner.stats().pool.replaced).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('gives the standby up when the invocation ends in time', async () => {
    // The standby starts at 1.5 s (half the deadline ahead), the spin ends at 2 s, the deadline is 3 s.
    const runner = runnerWith(1, 0, 5_000);
    try {
      expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
      const spun = await largestPoolWhile(runner, '/spin?ms=2000', 3_000);
      expect(spun.response.status).toBe(200);
      expect(spun.largest).toBe(2);
      await vi.waitFor(() => expect(runner.stats().pool.size).toBe(1), { timeout: 2_000 });
      expect(runner.stats().pool.replaced).toBe(0);
      expect(await runner.metrics.registry.metrics()).toContain(
        'alga_runner_isolate_standbys_total{outcome="dismissed"} 1',
      );
      expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
      expect(runner.stats().pool.size).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('refuses a replaceAheadMs that is not a non-negative integer', () => {
    expect(() => runnerWith(1, 0, -1)).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        message: 'isolation.replaceAheadMs must be a non-negative integer, got -1',
      }),
    );
  });
});
