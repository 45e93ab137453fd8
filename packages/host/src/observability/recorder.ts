import { RegistryError } from '../registry/errors';
import type { ExecutionLogRow, QuotaUsageRow } from '../registry/types';
import type { RunnerLogger } from './logger';

/** Where run records go: the registry store's two methods. */
export interface ExecutionRecordSink {
  appendExecutionLogs(rows: readonly ExecutionLogRow[]): Promise<void>;
  addQuotaUsage(rows: readonly QuotaUsageRow[]): Promise<void>;
}

/** Options of {@link ExecutionRecorder}. */
export interface ExecutionRecorderOptions {
  readonly sink: ExecutionRecordSink;
  readonly logger: RunnerLogger;
  /** Flush at least this often. Default 1000 ms. */
  readonly flushIntervalMs?: number;
  /** Flush early once this many rows are waiting. Default 200. */
  readonly maxBatch?: number;
  /** Rows kept while the sink is failing; older ones are dropped (and counted). Default 10000. */
  readonly maxBuffered?: number;
}

function rejected(error: unknown): boolean {
  return error instanceof RegistryError && error.code === 'INVALID_ARGUMENT';
}

function hourWindow(at: number): string {
  const date = new Date(at);
  date.setUTCMinutes(0, 0, 0);
  return date.toISOString();
}

/**
 * Writes `extension_execution_log` rows and `extension_quota_usage` amounts through the
 * registry store in batches, off the request path: `record` only appends to memory. Quota
 * amounts are summed per (tenant, extension, hour, metric) before they are written.
 */
export class ExecutionRecorder {
  readonly #options: Required<Omit<ExecutionRecorderOptions, 'sink' | 'logger'>> &
    ExecutionRecorderOptions;
  #logs: ExecutionLogRow[] = [];
  #usage = new Map<string, QuotaUsageRow>();
  #dropped = 0;
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: ExecutionRecorderOptions) {
    this.#options = { flushIntervalMs: 1000, maxBatch: 200, maxBuffered: 10_000, ...options };
    this.#timer = setInterval(() => void this.flush(), this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Rows dropped because the sink kept failing. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one invocation's row and its quota amounts. */
  record(input: ExecutionLogRow): void {
    // The store keeps whole milliseconds and bytes.
    const row: ExecutionLogRow = {
      ...input,
      durationMs: Math.round(input.durationMs),
      memoryBytes: Math.round(input.memoryBytes),
      egressBytes: Math.round(input.egressBytes),
    };
    this.#logs.push(row);
    if (this.#logs.length > this.#options.maxBuffered) {
      this.#logs.shift();
      this.#dropped++;
    }
    const windowStart = hourWindow(Date.parse(row.startedAt));
    const amounts: Array<[string, number]> = [
      ['invocations', 1],
      ['duration_ms', Math.round(row.durationMs)],
      ['egress_bytes', row.egressBytes],
    ];
    if (row.outcome !== 'ok') amounts.push(['errors', 1]);
    for (const [metric, amount] of amounts) {
      if (amount === 0) continue;
      const key = `${row.tenantId}\u0000${row.extensionId}\u0000${windowStart}\u0000${metric}`;
      const previous = this.#usage.get(key);
      this.#usage.set(key, {
        tenantId: row.tenantId,
        extensionId: row.extensionId,
        windowStart,
        metric,
        amount: (previous?.amount ?? 0) + amount,
      });
    }
    if (this.#logs.length >= this.#options.maxBatch) void this.flush();
  }

  /** Writes what is waiting; resolves when done (errors are logged, rows kept for the next try). */
  flush(): Promise<void> {
    this.#flushing ??= this.#write().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    if (this.#logs.length > 0 || this.#usage.size > 0) await this.flush();
  }

  async #write(): Promise<void> {
    const logs = this.#logs;
    const usage = [...this.#usage.values()];
    if (logs.length === 0 && usage.length === 0) return;
    this.#logs = [];
    this.#usage = new Map();
    try {
      if (logs.length > 0) await this.#options.sink.appendExecutionLogs(logs);
    } catch (error) {
      if (rejected(error)) {
        // Rows the store refuses would be refused forever: drop them rather than block the rest.
        this.#dropped += logs.length;
        this.#options.logger.error(
          { err: (error as Error).message, rows: logs.length },
          'execution log rows refused by the store; dropped',
        );
      } else {
        this.#options.logger.warn(
          { err: (error as Error).message, rows: logs.length },
          'execution log write failed; will retry',
        );
        this.#logs = [...logs, ...this.#logs].slice(-this.#options.maxBuffered);
      }
    }
    try {
      if (usage.length > 0) await this.#options.sink.addQuotaUsage(usage);
    } catch (error) {
      if (rejected(error)) {
        this.#options.logger.error(
          { err: (error as Error).message, rows: usage.length },
          'quota usage rows refused by the store; dropped',
        );
        return;
      }
      this.#options.logger.warn(
        { err: (error as Error).message, rows: usage.length },
        'quota usage write failed; will retry',
      );
      for (const row of usage) {
        const key = `${row.tenantId}\u0000${row.extensionId}\u0000${row.windowStart}\u0000${row.metric}`;
        const current = this.#usage.get(key);
        this.#usage.set(key, { ...row, amount: row.amount + (current?.amount ?? 0) });
      }
    }
  }
}
