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
  const runnerWith = (size: number, spares: number): EmbeddedRunner =>
    createRunner({
      store: world.store,
      trust: world.trust,
      signatures: world.signatures,
      dataDir: world.dataDir,
      isolation: { size, spares },
      logger: pino({ level: 'silent' }),
    });

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
});
