import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  type DebugEvent,
  DebugStream,
  debugAdapterFromEnv,
  InProcessDebugAdapter,
  RedisDebugAdapter,
} from '../src/observability/debug-stream';
import { ExecutionRecorder } from '../src/observability/recorder';
import { MemoryRegistryStore } from '../src/registry/memory-store';

function event(overrides: Partial<DebugEvent> = {}): DebugEvent {
  return {
    at: 1,
    requestId: 'r1',
    tenantId: 't1',
    extensionId: 'com.example.ext',
    installId: 'i1',
    version: '1.0.0',
    contentHash: `sha256:${'b'.repeat(64)}`,
    stream: 'stdout',
    level: 'info',
    message: 'hello',
    ...overrides,
  };
}

async function take(
  iterator: AsyncIterator<DebugEvent>,
  count: number,
  timeoutMs = 5_000,
): Promise<DebugEvent[]> {
  const out: DebugEvent[] = [];
  const deadline = setTimeout(() => void iterator.return?.(), timeoutMs);
  while (out.length < count) {
    const next = await iterator.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  clearTimeout(deadline);
  return out;
}

describe('DebugStream (in process)', () => {
  it('delivers matching events to each subscriber and bounds a slow one', async () => {
    const stream = new DebugStream(new InProcessDebugAdapter(), { bufferSize: 2 });
    const tenant = stream.subscribe({ tenantId: 't1' });
    const other = stream.subscribe({ extensionId: 'com.other' });
    for (const message of ['a', 'b', 'c']) stream.publish(event({ message }));
    stream.publish(event({ tenantId: 't2', message: 'not for t1' }));
    expect((await take(tenant, 2)).map((e) => e.message)).toEqual(['b', 'c']);
    expect(tenant.dropped).toBe(1);
    other.close();
    expect(await other.next()).toEqual({ value: undefined, done: true });
    tenant.close();
    await stream.close();
  });
});

describe('debugAdapterFromEnv', () => {
  it('is in process without RUNNER_DEBUG_REDIS_URL and refuses a bad MAXLEN', async () => {
    expect(debugAdapterFromEnv({})).toBeInstanceOf(InProcessDebugAdapter);
    expect(() =>
      debugAdapterFromEnv({
        RUNNER_DEBUG_REDIS_URL: 'redis://127.0.0.1:1',
        RUNNER_DEBUG_STREAM_MAXLEN: 'lots',
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUp = await (async () => {
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
})();
if (!redisUp)
  console.warn(
    `SKIPPED Redis debug stream tests: no Redis at ${redisUrl}; start one or set REDIS_URL to enable them`,
  );

describe.skipIf(!redisUp)('DebugStream over Redis Streams', () => {
  it('carries events between two runner replicas, trims the stream to MAXLEN, and filters', async () => {
    const prefix = `alga:test:${process.pid}:${Date.now()}:`;
    const env = {
      RUNNER_DEBUG_REDIS_URL: redisUrl,
      RUNNER_DEBUG_STREAM_PREFIX: prefix,
      RUNNER_DEBUG_STREAM_MAXLEN: '5',
    };
    const replicaA = new DebugStream(debugAdapterFromEnv(env));
    const replicaB = new DebugStream(debugAdapterFromEnv(env));
    const subscription = replicaB.subscribe({ extensionId: 'com.example.ext' });
    // XREAD starts at the newest entry: give the reader a moment to block before publishing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    replicaA.publish(event({ message: 'from A', stream: 'stderr', level: 'warn' }));
    replicaA.publish(event({ extensionId: 'com.other', message: 'filtered out' }));
    replicaA.publish(event({ message: 'second', fields: { n: 1 } }));
    const received = await take(subscription, 2);
    expect(received.map((e) => [e.stream, e.message, e.fields])).toEqual([
      ['stderr', 'from A', undefined],
      ['stdout', 'second', { n: 1 }],
    ]);
    for (let i = 0; i < 200; i++) replicaA.publish(event({ message: `bulk ${i}` }));
    const admin = new Redis(redisUrl);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const length = await admin.xlen(`${prefix}events`);
    expect(length).toBeLessThan(200);
    await admin.del(`${prefix}events`);
    admin.disconnect();
    subscription.close();
    await replicaA.close();
    await replicaB.close();
  });

  it('names the stream key from the prefix', async () => {
    const adapter = new RedisDebugAdapter({ url: redisUrl, streamPrefix: 'p:' });
    expect(adapter.key).toBe('p:events');
    await adapter.close();
  });
});

describe('ExecutionRecorder', () => {
  it('writes execution rows and summed quota usage in batches, off the request path', async () => {
    const store = new MemoryRegistryStore();
    await store.open();
    const logs: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    );
    const recorder = new ExecutionRecorder({
      sink: store,
      logger,
      flushIntervalMs: 60_000,
      maxBatch: 3,
    });
    const row = {
      requestId: 'r1',
      tenantId: 't1',
      extensionId: 'com.example.ext',
      installId: 'i1',
      version: '1.0.0',
      contentHash: `sha256:${'c'.repeat(64)}`,
      startedAt: '2025-01-01T10:15:00.000Z',
      durationMs: 12.4,
      status: 200,
      outcome: 'ok',
      memoryBytes: 9_000_000,
      egressBytes: 100,
    };
    recorder.record(row);
    recorder.record({ ...row, requestId: 'r2', outcome: 'TIMEOUT', status: 504, egressBytes: 0 });
    expect(await store.listExecutionLogs({ tenantId: 't1' })).toEqual([]);
    recorder.record({ ...row, requestId: 'r3' });
    await recorder.flush();
    expect(
      (await store.listExecutionLogs({ tenantId: 't1' })).map((r) => r.requestId).sort(),
    ).toEqual(['r1', 'r2', 'r3']);
    const key = {
      tenantId: 't1',
      extensionId: 'com.example.ext',
      windowStart: '2025-01-01T10:00:00.000Z',
    };
    expect(await store.getQuotaUsage({ ...key, metric: 'invocations' })).toBe(3);
    expect(await store.getQuotaUsage({ ...key, metric: 'errors' })).toBe(1);
    expect(await store.getQuotaUsage({ ...key, metric: 'egress_bytes' })).toBe(200);
    await recorder.close();
    expect(logs).toEqual([]);
  });

  it('keeps rows for the next flush when the sink fails', async () => {
    let fail = true;
    const written: string[] = [];
    const sink = {
      appendExecutionLogs: async (rows: readonly { requestId: string }[]) => {
        if (fail) throw new Error('database down');
        written.push(...rows.map((r) => r.requestId));
      },
      addQuotaUsage: async () => {},
    };
    const recorder = new ExecutionRecorder({
      sink,
      logger: pino({ level: 'silent' }),
      flushIntervalMs: 60_000,
    });
    recorder.record({
      requestId: 'kept',
      tenantId: 't',
      extensionId: 'e',
      installId: 'i',
      version: '1',
      contentHash: 'h',
      startedAt: new Date().toISOString(),
      durationMs: 1,
      status: 200,
      outcome: 'ok',
      memoryBytes: 0,
      egressBytes: 0,
    });
    await recorder.flush();
    expect(written).toEqual([]);
    fail = false;
    await recorder.close();
    expect(written).toEqual(['kept']);
  });
});
