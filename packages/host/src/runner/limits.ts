import { z } from 'zod';
import { RunnerError } from './errors';
import type { RunnerLimitOverrides, RunnerLimits } from './types';

/** The limits an install gets when neither the operator nor the install says otherwise. */
export const DEFAULT_LIMITS: RunnerLimits = Object.freeze({
  timeoutMs: 5_000,
  memoryBytes: 64 * 1_048_576,
  maxRequestBytes: 1_048_576,
  maxResponseBytes: 5 * 1_048_576,
  maxLogBytes: 64 * 1024,
  maxConcurrencyPerTenant: 8,
  maxConcurrencyPerExtension: 16,
  maxQueuedPerKey: 32,
  maxRequestsPerInstance: 10_000,
});

/** The most an install may be given, unless the operator says otherwise. */
export const MAX_LIMITS: RunnerLimits = Object.freeze({
  timeoutMs: 60_000,
  memoryBytes: 512 * 1_048_576,
  maxRequestBytes: 20 * 1_048_576,
  maxResponseBytes: 50 * 1_048_576,
  maxLogBytes: 1_048_576,
  maxConcurrencyPerTenant: 64,
  maxConcurrencyPerExtension: 128,
  maxQueuedPerKey: 1_000,
  maxRequestsPerInstance: 100_000,
});

const positive = z.number().int().positive();

/** Zod schema of a (partial) limits object: positive integers, unknown keys refused. */
export const limitOverridesSchema = z
  .strictObject({
    timeoutMs: positive,
    memoryBytes: positive,
    maxRequestBytes: positive,
    maxResponseBytes: positive,
    maxLogBytes: positive,
    maxConcurrencyPerTenant: positive,
    maxConcurrencyPerExtension: positive,
    maxQueuedPerKey: z.number().int().nonnegative(),
    maxRequestsPerInstance: positive,
  })
  .partial();

/** Operator limits: defaults for installs and the maximum any install may be given. */
export interface LimitPolicy {
  readonly defaults: RunnerLimits;
  readonly max: RunnerLimits;
}

/** Builds the operator's policy from options, checking that no default exceeds its maximum. */
export function createLimitPolicy(
  options: { defaults?: RunnerLimitOverrides; max?: RunnerLimitOverrides } = {},
): LimitPolicy {
  for (const [where, value] of [
    ['limits.defaults', options.defaults],
    ['limits.max', options.max],
  ] as const) {
    const parsed = limitOverridesSchema.safeParse(value ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RunnerError(
        'CONFIG',
        `${where}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
  }
  const max = { ...MAX_LIMITS, ...options.max };
  const defaults = { ...DEFAULT_LIMITS, ...options.defaults };
  for (const key of Object.keys(defaults) as Array<keyof RunnerLimits>) {
    if (defaults[key] > max[key]) {
      if (options.defaults?.[key] !== undefined) {
        throw new RunnerError(
          'CONFIG',
          `limits.defaults.${key} (${defaults[key]}) is over limits.max.${key} (${max[key]})`,
        );
      }
      defaults[key] = max[key];
    }
  }
  return { defaults: Object.freeze(defaults), max: Object.freeze(max) };
}

/** An install's effective limits: its override (or the default) capped at the operator maximum. */
export function effectiveLimits(
  policy: LimitPolicy,
  overrides: RunnerLimitOverrides | undefined,
): RunnerLimits {
  const out = { ...policy.defaults };
  for (const key of Object.keys(out) as Array<keyof RunnerLimits>) {
    const wanted = overrides?.[key];
    out[key] = Math.min(wanted ?? policy.defaults[key], policy.max[key]);
  }
  return out;
}
