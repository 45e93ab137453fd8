import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { GatewayError, GatewayErrorCode } from './errors';

/** `points` requests per `durationSeconds` window. */
export interface RateLimitRule {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  durationSeconds: number;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Limit per tenant, over all its extensions. Default 600 per 60 s. */
  perTenant?: RateLimitRule;
  /** Limit per (tenant, extension). Default 300 per 60 s. */
  perExtension?: RateLimitRule;
  /**
   * An ioredis client shared by every replica, so the limits hold across them. Without it
   * the counters live in this process. While Redis is unreachable each replica falls back
   * to in-memory counters rather than refusing every request. The caller owns the client.
   */
  redis?: Redis;
  /** Prefix of the Redis keys (default `alga:rl`); give each deployment its own. */
  keyPrefix?: string;
}

/** Why a request was refused: which limit, and when to retry. */
export interface RateLimitRejection {
  scope: 'tenant' | 'extension';
  retryAfterSeconds: number;
}

/**
 * Per-tenant and per-(tenant, extension) request limits for the gateway. Both methods
 * resolve with `undefined` when the request may proceed.
 */
export interface GatewayRateLimiter {
  /** Takes one request from the tenant's budget. */
  consumeTenant(tenantId: string): Promise<RateLimitRejection | undefined>;
  /** Takes one request from the (tenant, extension) budget. */
  consumeExtension(tenantId: string, extensionId: string): Promise<RateLimitRejection | undefined>;
}

const DEFAULT_TENANT: RateLimitRule = { points: 600, durationSeconds: 60 };
const DEFAULT_EXTENSION: RateLimitRule = { points: 300, durationSeconds: 60 };

function checkRule(rule: RateLimitRule, option: string): void {
  if (!Number.isInteger(rule.points) || rule.points < 1) {
    throw new GatewayError(
      GatewayErrorCode.CONFIG_INVALID,
      `${option}.points must be a positive integer; got ${rule.points}.`,
    );
  }
  if (!Number.isInteger(rule.durationSeconds) || rule.durationSeconds < 1) {
    throw new GatewayError(
      GatewayErrorCode.CONFIG_INVALID,
      `${option}.durationSeconds must be a positive integer; got ${rule.durationSeconds}.`,
    );
  }
}

/**
 * Rate limits backed by `rate-limiter-flexible`: in memory by default, in Redis (atomic Lua
 * increments) when `redis` is given, so several gateway replicas share one budget.
 *
 * @example
 * ```ts
 * const rateLimiter = createRateLimiter({
 *   perTenant: { points: 100, durationSeconds: 1 },
 *   redis: new Redis(process.env.REDIS_URL),
 * });
 * const gateway = createGateway({ registry, store, runner, resolveIdentity, rateLimiter });
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions = {}): GatewayRateLimiter {
  const tenantRule = options.perTenant ?? DEFAULT_TENANT;
  const extensionRule = options.perExtension ?? DEFAULT_EXTENSION;
  checkRule(tenantRule, 'perTenant');
  checkRule(extensionRule, 'perExtension');
  const prefix = options.keyPrefix ?? 'alga:rl';
  const make = (rule: RateLimitRule, scope: string): RateLimiterAbstract => {
    const base = {
      points: rule.points,
      duration: rule.durationSeconds,
      keyPrefix: `${prefix}:${scope}`,
    };
    if (options.redis === undefined) return new RateLimiterMemory(base);
    return new RateLimiterRedis({
      ...base,
      storeClient: options.redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(base),
    });
  };
  const tenant = make(tenantRule, 'tenant');
  const extension = make(extensionRule, 'ext');
  const consume = async (
    limiter: RateLimiterAbstract,
    key: string,
    scope: RateLimitRejection['scope'],
  ): Promise<RateLimitRejection | undefined> => {
    try {
      await limiter.consume(key);
      return undefined;
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return { scope, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      }
      throw new GatewayError(
        GatewayErrorCode.UNAVAILABLE,
        'The rate-limit store failed; retry shortly.',
        { cause: error },
      );
    }
  };
  return {
    consumeTenant: (tenantId) => consume(tenant, encodeURIComponent(tenantId), 'tenant'),
    consumeExtension: (tenantId, extensionId) =>
      consume(
        extension,
        `${encodeURIComponent(tenantId)}/${encodeURIComponent(extensionId)}`,
        'extension',
      ),
  };
}
