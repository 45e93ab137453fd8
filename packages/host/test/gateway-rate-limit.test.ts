import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/gateway/rate-limit';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function connectRedis(): Promise<Redis | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch {
    redis.disconnect();
    console.warn(
      `[gateway-rate-limit] SKIPPED the Redis backend tests: no Redis at ${REDIS_URL}; start one or set REDIS_URL to enable them.`,
    );
    return undefined;
  }
}

describe('in-memory rate limits', () => {
  it('refuses the request past the tenant budget with the seconds to wait', async () => {
    const limiter = createRateLimiter({
      perTenant: { points: 2, durationSeconds: 30 },
      perExtension: { points: 100, durationSeconds: 30 },
    });
    expect(await limiter.consumeTenant('acme')).toBeUndefined();
    expect(await limiter.consumeTenant('acme')).toBeUndefined();
    const rejection = await limiter.consumeTenant('acme');
    expect(rejection?.scope).toBe('tenant');
    expect(rejection?.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    expect(rejection?.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(await limiter.consumeTenant('globex')).toBeUndefined();
  });

  it('keeps a budget per (tenant, extension)', async () => {
    const limiter = createRateLimiter({ perExtension: { points: 1, durationSeconds: 10 } });
    expect(await limiter.consumeExtension('acme', 'com.example.a')).toBeUndefined();
    expect((await limiter.consumeExtension('acme', 'com.example.a'))?.scope).toBe('extension');
    expect(await limiter.consumeExtension('acme', 'com.example.b')).toBeUndefined();
    expect(await limiter.consumeExtension('globex', 'com.example.a')).toBeUndefined();
  });

  it('refuses rules that are not positive integers', () => {
    expect(() => createRateLimiter({ perTenant: { points: 0, durationSeconds: 1 } })).toThrow(
      /perTenant\.points must be a positive integer/,
    );
  });
});

describe('Redis rate limits', () => {
  let redis: Redis | undefined;
  const prefix = `alga-test:${process.pid}:${Date.now()}`;

  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    if (redis === undefined) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('shares one budget between two gateway replicas', async (context) => {
    if (redis === undefined) return context.skip();
    const options = {
      perTenant: { points: 3, durationSeconds: 20 },
      redis,
      keyPrefix: prefix,
    };
    const replicaA = createRateLimiter(options);
    const replicaB = createRateLimiter(options);
    expect(await replicaA.consumeTenant('acme')).toBeUndefined();
    expect(await replicaB.consumeTenant('acme')).toBeUndefined();
    expect(await replicaA.consumeTenant('acme')).toBeUndefined();
    const rejection = await replicaB.consumeTenant('acme');
    expect(rejection?.scope).toBe('tenant');
    expect(rejection?.retryAfterSeconds).toBeGreaterThanOrEqual(19);
    expect(await redis.exists(`${prefix}:tenant:acme`)).toBe(1);
  });

  it('falls back to in-memory counters while Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const limiter = createRateLimiter({
      perTenant: { points: 1, durationSeconds: 10 },
      redis: dead,
      keyPrefix: prefix,
    });
    expect(await limiter.consumeTenant('acme')).toBeUndefined();
    expect((await limiter.consumeTenant('acme'))?.scope).toBe('tenant');
    dead.disconnect();
  });
});
