import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The runner's Prometheus metrics; every label has a bounded set of values. */
export interface RunnerMetrics {
  readonly registry: Registry;
  /** Seconds per invocation, by outcome (`ok` or an error code) and isolation mode. */
  readonly duration: Histogram<'outcome' | 'mode'>;
  /** Linear memory after each invocation, in bytes. */
  readonly memory: Histogram<'mode'>;
  /** Invocations that ended in an error, by code. */
  readonly errors: Counter<'code'>;
  /** Invocations stopped at their deadline. */
  readonly timeouts: Counter;
  /** Limits that fired, by limit. */
  readonly limits: Counter<'limit'>;
  /** Host calls denied, by capability. */
  readonly denials: Counter<'capability'>;
  /** Bytes the guests' HTTP calls sent (`out`) and received (`in`). */
  readonly egressBytes: Counter<'direction'>;
  /** Isolates alive and busy. */
  readonly poolSize: Gauge<'state'>;
  /** Invocations waiting for a slot. */
  readonly queueDepth: Gauge;
  /** Isolates replaced, by reason class (`timeout`, `crash`). */
  readonly replacements: Counter<'reason'>;
  /** Isolates started ahead of a likely deadline kill, by outcome (`replaced`, `dismissed`). */
  readonly standbys: Counter<'outcome'>;
  /** Seconds from a bundle's fetch to its compiled program, by where its glue came from. */
  readonly programLoad: Histogram<'origin'>;
}

/** What the pool gauges read when the registry is scraped. */
export interface PoolSample {
  readonly alive: number;
  readonly busy: number;
  readonly queued: number;
}

/**
 * Creates the runner metrics in `registry` (a fresh one by default). Extension, tenant and
 * request ids are never labels: they would make the series count unbounded. The pool gauges
 * read `samplePool` at scrape time, so requests do not pay for them.
 */
export function createRunnerMetrics(
  registry: Registry = new Registry(),
  samplePool: () => PoolSample = () => ({ alive: 0, busy: 0, queued: 0 }),
): RunnerMetrics {
  const registers = [registry];
  return {
    registry,
    duration: new Histogram({
      name: 'alga_runner_invocation_duration_seconds',
      help: 'Wall-clock duration of extension invocations.',
      labelNames: ['outcome', 'mode'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    memory: new Histogram({
      name: 'alga_runner_invocation_memory_bytes',
      help: 'Guest linear memory after each invocation.',
      labelNames: ['mode'],
      buckets: [16, 32, 64, 128, 256, 512].map((mib) => mib * 1_048_576),
      registers,
    }),
    errors: new Counter({
      name: 'alga_runner_errors_total',
      help: 'Invocations that ended in an error, by runner error code.',
      labelNames: ['code'],
      registers,
    }),
    timeouts: new Counter({
      name: 'alga_runner_timeouts_total',
      help: 'Invocations stopped at their deadline.',
      registers,
    }),
    limits: new Counter({
      name: 'alga_runner_limits_total',
      help: 'Limits that fired, by limit.',
      labelNames: ['limit'],
      registers,
    }),
    denials: new Counter({
      name: 'alga_runner_denials_total',
      help: 'Host calls refused for a capability the install was not granted.',
      labelNames: ['capability'],
      registers,
    }),
    egressBytes: new Counter({
      name: 'alga_runner_egress_bytes_total',
      help: 'Bytes sent (out) and received (in) by extension HTTP calls.',
      labelNames: ['direction'],
      registers,
    }),
    poolSize: new Gauge({
      name: 'alga_runner_pool_isolates',
      help: 'Isolates (workers or child processes), by state.',
      labelNames: ['state'],
      registers,
      collect() {
        const { alive, busy } = samplePool();
        this.set({ state: 'alive' }, alive);
        this.set({ state: 'busy' }, busy);
      },
    }),
    queueDepth: new Gauge({
      name: 'alga_runner_queue_depth',
      help: 'Invocations waiting for a slot.',
      registers,
      collect() {
        this.set(samplePool().queued);
      },
    }),
    replacements: new Counter({
      name: 'alga_runner_isolate_replacements_total',
      help: 'Isolates replaced after a deadline kill or a crash.',
      labelNames: ['reason'],
      registers,
    }),
    standbys: new Counter({
      name: 'alga_runner_isolate_standbys_total',
      help: "Isolates started ahead of a likely deadline kill, by outcome (replaced: took the killed isolate's place; dismissed: the invocation ended in time).",
      labelNames: ['outcome'],
      registers,
    }),
    programLoad: new Histogram({
      name: 'alga_runner_program_load_seconds',
      help: 'Time from fetching a bundle to its compiled program (verify, glue, compile), by glue origin (jco, shape, disk).',
      labelNames: ['origin'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
