import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeniedEvent,
  InvocationEndEvent,
  InvocationStartEvent,
  LimitEvent,
  ProgramLoadedEvent,
} from '../src/observability/events';
import { MemoryRegistryStore } from '../src/registry/memory-store';
import { createRunner, type EmbeddedRunner } from '../src/runner/runner';
import { createFixtureWorld, type FixtureBundle, requestFor } from './helpers/runner-fixtures';

describe('embedded runner observability', () => {
  let runner: EmbeddedRunner;
  let kitchen: FixtureBundle;
  let records: MemoryRegistryStore;
  let server: Server;
  let egress: string;
  const starts: InvocationStartEvent[] = [];
  const ends: InvocationEndEvent[] = [];
  const limits: LimitEvent[] = [];
  const denials: DeniedEvent[] = [];
  const loads: ProgramLoadedEvent[] = [];
  let world: Awaited<ReturnType<typeof createFixtureWorld>>;
  /** A runner's options over the fixture world: its stores, trust and data folder, no logs. */
  const onWorld = () => ({
    store: world.store,
    trust: world.trust,
    signatures: world.signatures,
    dataDir: world.dataDir,
    logger: pino({ level: 'silent' }),
  });

  beforeAll(async () => {
    world = await createFixtureWorld();
    kitchen = await world.bundle('kitchen');
    records = new MemoryRegistryStore();
    await records.open();
    server = createServer((_req, res) => res.end('0123456789'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    egress = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    runner = createRunner({
      ...onWorld(),
      isolation: { size: 1, spares: 1 },
      http: { allow: [egress], allowHttp: true, allowPrivateNetworks: true },
      records,
    });
    runner.events.on('invocation:start', (event) => starts.push(event));
    runner.events.on('invocation:end', (event) => ends.push(event));
    runner.events.on('limit', (event) => limits.push(event));
    runner.events.on('denied', (event) => denials.push(event));
    runner.events.on('program:loaded', (event) => loads.push(event));
    await runner.warm(kitchen.contentHash);
  });

  afterAll(async () => {
    await runner?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('reports each program it builds: where its glue came from and where the time went', async () => {
    expect(loads).toHaveLength(1);
    const [load] = loads;
    expect(load).toMatchObject({
      contentHash: kitchen.contentHash,
      extensionId: kitchen.extensionId,
      version: kitchen.version,
      origin: 'jco',
    });
    const parts = [load?.verifyMs, load?.transpileMs, load?.compileWaitMs] as number[];
    for (const part of parts) expect(part).toBeGreaterThanOrEqual(0);
    expect(load?.verifyMs).toBeGreaterThan(0);
    expect(parts.reduce((total, part) => total + part, 0)).toBeCloseTo(load?.totalMs ?? -1, 6);
    expect(await runner.metrics.registry.metrics()).toMatch(
      /alga_runner_program_load_seconds_count\{origin="jco"\} 1\b/,
    );
    // A host closed as soon as it has served reads the transpile back when restarted: the
    // program was served before its files were written, and closing waits for them.
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-restart-'));
    const origins: string[] = [];
    const warmAndClose = async () => {
      const host = createRunner({ ...onWorld(), dataDir, isolation: { size: 1, spares: 0 } });
      host.events.on('program:loaded', (event) => origins.push(event.origin));
      try {
        await host.warm(kitchen.contentHash);
      } finally {
        await host.close();
      }
    };
    await warmAndClose();
    await warmAndClose();
    expect(origins).toEqual(['jco', 'disk']);
  });

  it('emits start and end events with duration, memory, egress bytes and outcome', async () => {
    const response = await runner.execute(
      requestFor(kitchen, `/fetch?url=${encodeURIComponent(`http://${egress}/x`)}`, {
        grants: ['cap:http.fetch'],
        egress: [egress],
        context: { requestId: 'req-events' },
      }),
    );
    expect(response.status).toBe(200);
    expect(starts.find((event) => event.context.requestId === 'req-events')).toMatchObject({
      method: 'GET',
      path: '/fetch',
      kind: 'api',
    });
    const end = ends.find((event) => event.context.requestId === 'req-events');
    expect(end).toMatchObject({ outcome: 'ok', status: 200, policy: 'fresh', mode: 'worker' });
    expect(end?.durationMs).toBeGreaterThan(0);
    expect(end?.memoryBytes).toBeGreaterThan(1_048_576);
    expect(end?.egress.received).toBe(10);
    expect(end?.egress.sent).toBeGreaterThan(0);
    expect(await runner.metrics.registry.metrics()).toMatch(
      /alga_runner_egress_bytes_total\{direction="in"\} 10\b/,
    );
  });

  it('reports a timeout as a limit in the error, the event and the metrics, and replaces the isolate', async () => {
    const response = await runner.execute(
      requestFor(kitchen, '/loop', {
        limits: { timeoutMs: 200 },
        context: { requestId: 'req-loop' },
      }),
    );
    expect(response.error).toMatchObject({ code: 'TIMEOUT', limit: 'timeout' });
    expect(limits.find((event) => event.context.requestId === 'req-loop')?.limit).toBe('timeout');
    const metrics = await runner.metrics.registry.metrics();
    expect(metrics).toContain('alga_runner_limits_total{limit="timeout"} 1');
    expect(metrics).toContain('alga_runner_timeouts_total 1');
    expect(metrics).toContain('alga_runner_errors_total{code="TIMEOUT"} 1');
    expect((await runner.execute(requestFor(kitchen, '/echo'))).status).toBe(200);
    const afterKill = await runner.metrics.registry.metrics();
    expect(afterKill).toContain('alga_runner_isolate_replacements_total{reason="timeout"} 1');
    // Started 100 ms before the 200 ms deadline, the standby took the killed isolate's place.
    expect(afterKill).toContain('alga_runner_isolate_standbys_total{outcome="replaced"} 1');
    expect(runner.stats()).toMatchObject({ mode: 'worker', pool: { replaced: 1 } });
    // Read when scraped, not on each request: the replacement already counts as alive.
    const { size } = runner.stats().pool;
    expect(await runner.metrics.registry.metrics()).toContain(
      `alga_runner_pool_isolates{state="alive"} ${size}`,
    );
  });

  it('bounds guest output by the log cap and reports the log-size limit once', async () => {
    const subscription = runner.debug.subscribe({ requestId: 'req-flood' });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of subscription) seen.push(event.message);
    })();
    const response = await runner.execute(
      requestFor(kitchen, '/log-flood', {
        limits: { maxLogBytes: 2_000 },
        context: { requestId: 'req-flood' },
      }),
    );
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    subscription.close();
    await reading;
    const bytes = seen.reduce((sum, line) => sum + line.length, 0);
    expect(bytes).toBeGreaterThan(1_000);
    expect(bytes).toBeLessThanOrEqual(2_000);
    expect(seen[0]).toBe(`flood line 0 ${'x'.repeat(80)}`);
    expect(
      limits.filter((event) => event.context.requestId === 'req-flood').map((event) => event.limit),
    ).toEqual(['log-size']);
  });

  it('reports denials by capability', async () => {
    await runner.execute(requestFor(kitchen, '/secret', { context: { requestId: 'req-denied' } }));
    expect(denials.find((event) => event.context.requestId === 'req-denied')?.capability).toBe(
      'cap:secrets.get',
    );
    expect(await runner.metrics.registry.metrics()).toContain(
      'alga_runner_denials_total{capability="cap:secrets.get"} 1',
    );
  });

  it('keeps a pristine instance per program: later fresh requests and new installs skip instantiation', async () => {
    const instantiated: number[] = [];
    const installs = ['install-spare-a', 'install-spare-a', 'install-spare-b', 'install-spare-c'];
    for (const [index, installId] of installs.entries()) {
      const requestId = `spare-${index}`;
      const answer = await runner.execute(
        requestFor(kitchen, '/echo', { context: { requestId, installId } }),
      );
      expect(answer.status).toBe(200);
      instantiated.push(
        ends.find((event) => event.context.requestId === requestId)?.instantiateMs ?? -1,
      );
      // Time for the worker to make the next pristine instance after answering.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(instantiated.slice(1)).toEqual([0, 0, 0]);
  });

  it('records execution log rows and quota usage through the registry store', async () => {
    await runner.close();
    const rows = await records.listExecutionLogs({ tenantId: 'tenant-a', limit: 100 });
    expect(rows.find((row) => row.requestId === 'req-loop')).toMatchObject({
      outcome: 'TIMEOUT',
      status: 504,
    });
    expect(rows.find((row) => row.requestId === 'req-events')).toMatchObject({
      outcome: 'ok',
      status: 200,
      egressBytes: expect.any(Number),
    });
    expect(runner.stats().invocations.total).toBe(rows.length);
  });
});
