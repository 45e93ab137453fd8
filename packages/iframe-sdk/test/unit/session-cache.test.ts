import { describe, expect, test } from 'vitest';
import { SessionCache } from '../../src/internal/session-cache';

function harness(lifetimeMs: number) {
  let now = 1_000_000;
  let issued = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const cache = new SessionCache(
    async () => {
      issued++;
      return { token: `t${issued}`, expiresAt: now + lifetimeMs };
    },
    {
      refreshMarginMs: 60_000,
      now: () => now,
      setTimer: (fn, ms) => {
        const timer = { at: now + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimer: (handle) => {
        const index = timers.indexOf(handle as (typeof timers)[number]);
        if (index >= 0) timers.splice(index, 1);
      },
    },
  );
  return {
    cache,
    issued: () => issued,
    advance: async (ms: number) => {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
      await Promise.resolve();
      await Promise.resolve();
    },
  };
}

describe('SessionCache', () => {
  test('answers from memory until the refresh point and shares one request', async () => {
    const h = harness(300_000);
    const [a, b] = await Promise.all([h.cache.get(), h.cache.get()]);
    expect(a).toEqual({ token: 't1', expiresAt: 1_300_000 });
    expect(b).toBe(a);
    await h.advance(200_000);
    expect((await h.cache.get()).token).toBe('t1');
    expect(h.issued()).toBe(1);
  });

  test('refreshes by itself 60 s before expiry, without being asked', async () => {
    const h = harness(300_000);
    await h.cache.get();
    await h.advance(239_999);
    expect(h.issued()).toBe(1);
    await h.advance(1);
    expect(h.issued()).toBe(2);
    expect((await h.cache.get()).token).toBe('t2');
  });

  test('short-lived tokens refresh at half their lifetime', async () => {
    const h = harness(20_000);
    await h.cache.get();
    await h.advance(9_999);
    expect(h.issued()).toBe(1);
    await h.advance(1);
    expect(h.issued()).toBe(2);
  });

  test('never hands out an expired token; clear() forgets and stops refreshing', async () => {
    const h = harness(300_000);
    await h.cache.get();
    h.cache.clear();
    await h.advance(400_000);
    expect(h.issued()).toBe(1);
    expect((await h.cache.get()).token).toBe('t2');
  });
});
