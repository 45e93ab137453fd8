/** min / median / p99 (and mean) of a set of samples, in the samples' unit. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted samples (`q` in 0..1). */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Summarises samples; with fewer than 100 samples the p99 is the largest one. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    median: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

/** How many warm-up and measured iterations a timing loop runs. */
export interface SampleOptions {
  readonly warmup: number;
  readonly samples: number;
  /** Let the event loop turn between iterations (as between real requests). Default true. */
  readonly yieldBetween?: boolean;
  /** Milliseconds of idle time between iterations (low load); default none, just one turn. */
  readonly gapMs?: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Times `fn` after `warmup` unmeasured calls: one sample per call, in milliseconds.
 * Between calls the event loop turns once, so garbage and timers are handled the way a
 * server handles them between requests, not deferred to the end of a tight loop.
 */
export async function sample(
  fn: (iteration: number) => unknown,
  options: SampleOptions,
): Promise<number[]> {
  const between = async () => {
    if (options.gapMs !== undefined) await pause(options.gapMs);
    else if (options.yieldBetween !== false) await turn();
  };
  for (let i = 0; i < options.warmup; i++) {
    await fn(i);
    await between();
  }
  const samples: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
    await between();
  }
  return samples;
}

/**
 * Times two functions in alternation, so a subject and its baseline see the same machine
 * noise (a slow second hits both, not just whichever ran then).
 */
export async function samplePair(
  subject: (iteration: number) => unknown,
  baseline: (iteration: number) => unknown,
  options: SampleOptions,
): Promise<{ subject: number[]; baseline: number[] }> {
  const between = () => (options.gapMs === undefined ? turn() : pause(options.gapMs));
  for (let i = 0; i < options.warmup; i++) {
    await subject(i);
    await between();
    await baseline(i);
    await between();
  }
  const out = { subject: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < options.samples; i++) {
    let started = performance.now();
    await subject(i);
    out.subject.push(performance.now() - started);
    await between();
    started = performance.now();
    await baseline(i);
    out.baseline.push(performance.now() - started);
    await between();
  }
  return out;
}

/**
 * Runs `fn` with `concurrency` calls in flight until `total` calls finished; returns calls
 * per second and each call's latency in milliseconds.
 */
export async function throughput(
  fn: () => Promise<unknown>,
  options: { readonly concurrency: number; readonly total: number },
): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let started = 0;
  const begin = performance.now();
  const lane = async () => {
    while (started < options.total) {
      started++;
      const at = performance.now();
      await fn();
      latencies.push(performance.now() - at);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const seconds = (performance.now() - begin) / 1000;
  return { perSecond: options.total / seconds, latencies };
}

/** `value` rounded to `digits` significant digits (keeps results files readable). */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}
