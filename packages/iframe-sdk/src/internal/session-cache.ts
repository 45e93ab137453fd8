import type { SessionToken } from '../host';

/** Knobs of a {@link SessionCache}; `now`/timers are injectable for tests. */
export interface SessionCacheOptions {
  /** Refresh this long before expiry (capped at half the token's lifetime). */
  refreshMarginMs: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * Caches the host's short-lived session token and fetches the next one before the current
 * one expires, so `session()` normally answers from memory and never hands out an expired
 * token. Concurrent callers share one request.
 */
export class SessionCache {
  #fetch: () => Promise<SessionToken>;
  #margin: number;
  #now: () => number;
  #setTimer: (fn: () => void, ms: number) => unknown;
  #clearTimer: (handle: unknown) => void;
  #current: { token: SessionToken; refreshAt: number } | undefined;
  #inflight: Promise<SessionToken> | undefined;
  #timer: unknown;
  #epoch = 0;

  constructor(fetchToken: () => Promise<SessionToken>, options: SessionCacheOptions) {
    this.#fetch = fetchToken;
    this.#margin = options.refreshMarginMs;
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** A token that is valid now and not yet due for refresh, fetching one when needed. */
  get(): Promise<SessionToken> {
    const current = this.#current;
    if (current && this.#now() < current.refreshAt) return Promise.resolve(current.token);
    const refreshing = this.#refresh();
    // Still valid but due: answer with it rather than wait, unless it has actually expired.
    if (current && this.#now() < current.token.expiresAt) {
      refreshing.catch(() => undefined);
      return Promise.resolve(current.token);
    }
    return refreshing;
  }

  /** Forgets the token (the host changed) and stops the refresh timer. */
  clear(): void {
    this.#epoch++;
    this.#current = undefined;
    this.#inflight = undefined;
    this.#clearTimer(this.#timer);
  }

  #refresh(): Promise<SessionToken> {
    if (this.#inflight) return this.#inflight;
    const epoch = this.#epoch;
    const request = this.#fetch().then(
      (token) => {
        if (epoch !== this.#epoch) return token;
        this.#inflight = undefined;
        const now = this.#now();
        const lifetime = Math.max(0, token.expiresAt - now);
        const refreshAt = token.expiresAt - Math.min(this.#margin, lifetime / 2);
        this.#current = { token, refreshAt };
        this.#clearTimer(this.#timer);
        this.#timer = this.#setTimer(
          () => {
            if (epoch === this.#epoch) this.#refresh().catch(() => undefined);
          },
          Math.max(0, refreshAt - now),
        );
        return token;
      },
      (error: unknown) => {
        if (epoch === this.#epoch) this.#inflight = undefined;
        throw error;
      },
    );
    this.#inflight = request;
    return request;
  }
}
