import { RunnerError } from '../errors';

/** Keys and caps one invocation is admitted under. */
export interface AdmissionKeys {
  readonly tenantId: string;
  readonly extensionId: string;
  readonly maxConcurrencyPerTenant: number;
  readonly maxConcurrencyPerExtension: number;
  /** Waiting invocations allowed per tenant and per extension. */
  readonly maxQueuedPerKey: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Invocations running at once across the runner (the pool size). */
  readonly slots: number;
  /** Invocations waiting at once across the runner. */
  readonly maxQueue: number;
  /** How long an invocation may wait for a slot. */
  readonly maxWaitMs: number;
}

interface Waiter {
  readonly keys: AdmissionKeys;
  readonly resolve: (release: () => void) => void;
  readonly reject: (error: RunnerError) => void;
  readonly timer: NodeJS.Timeout;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}

/**
 * Admission control: a global slot count plus concurrency caps per tenant and per extension,
 * with bounded waiting. A full queue rejects at once (`QUEUE_FULL`, or `CONCURRENCY_LIMIT` for
 * a tenant's or extension's own queue); nothing waits unbounded. A waiter blocked only by its
 * own tenant's cap does not hold up others behind it.
 *
 * Hand-written rather than `p-limit`/`p-queue`: those bound one key's concurrency but neither
 * several keys at once nor the queue length with a reject, which is the point here.
 */
export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #queue: Waiter[] = [];
  readonly #runningTenant = new Map<string, number>();
  readonly #runningExtension = new Map<string, number>();
  readonly #queuedTenant = new Map<string, number>();
  readonly #queuedExtension = new Map<string, number>();
  #running = 0;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** Invocations waiting. */
  get depth(): number {
    return this.#queue.length;
  }

  /** Resolves with a release function once the invocation may run; rejects with a limit error. */
  acquire(keys: AdmissionKeys): Promise<() => void> {
    if (this.#closed) return Promise.reject(new RunnerError('CLOSED', 'the runner is closed'));
    // Waiters are pumped on every release, so any still queued while a slot is free are held by
    // their own tenant's or extension's cap: they must not hold this one back.
    if (this.#canStart(keys)) return Promise.resolve(this.#start(keys));
    const tenantFull =
      (this.#runningTenant.get(keys.tenantId) ?? 0) >= keys.maxConcurrencyPerTenant;
    const extensionFull =
      (this.#runningExtension.get(keys.extensionId) ?? 0) >= keys.maxConcurrencyPerExtension;
    if (tenantFull && (this.#queuedTenant.get(keys.tenantId) ?? 0) >= keys.maxQueuedPerKey) {
      return Promise.reject(
        new RunnerError(
          'CONCURRENCY_LIMIT',
          `tenant ${keys.tenantId} already runs ${keys.maxConcurrencyPerTenant} invocations with ${keys.maxQueuedPerKey} waiting; retry later`,
          { limit: 'concurrency-tenant' },
        ),
      );
    }
    if (
      extensionFull &&
      (this.#queuedExtension.get(keys.extensionId) ?? 0) >= keys.maxQueuedPerKey
    ) {
      return Promise.reject(
        new RunnerError(
          'CONCURRENCY_LIMIT',
          `extension ${keys.extensionId} already runs ${keys.maxConcurrencyPerExtension} invocations with ${keys.maxQueuedPerKey} waiting; retry later`,
          { limit: 'concurrency-extension' },
        ),
      );
    }
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(
        new RunnerError(
          'QUEUE_FULL',
          `the runner queue is full (${this.#options.maxQueue} waiting); retry later`,
          {
            limit: 'queue',
          },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        keys,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#dequeue(waiter);
          reject(
            new RunnerError(
              'QUEUE_TIMEOUT',
              `waited ${this.#options.maxWaitMs} ms for a free slot; retry later`,
              {
                limit: 'queue-wait',
              },
            ),
          );
        }, this.#options.maxWaitMs),
      };
      this.#queue.push(waiter);
      bump(this.#queuedTenant, keys.tenantId, 1);
      bump(this.#queuedExtension, keys.extensionId, 1);
    });
  }

  /** Rejects every waiter; later calls reject at once. */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#queue]) {
      this.#dequeue(waiter);
      waiter.reject(new RunnerError('CLOSED', 'the runner is closed'));
    }
  }

  #canStart(keys: AdmissionKeys): boolean {
    return (
      this.#running < this.#options.slots &&
      (this.#runningTenant.get(keys.tenantId) ?? 0) < keys.maxConcurrencyPerTenant &&
      (this.#runningExtension.get(keys.extensionId) ?? 0) < keys.maxConcurrencyPerExtension
    );
  }

  #start(keys: AdmissionKeys): () => void {
    this.#running++;
    bump(this.#runningTenant, keys.tenantId, 1);
    bump(this.#runningExtension, keys.extensionId, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      bump(this.#runningTenant, keys.tenantId, -1);
      bump(this.#runningExtension, keys.extensionId, -1);
      this.#pump();
    };
  }

  #dequeue(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    clearTimeout(waiter.timer);
    bump(this.#queuedTenant, waiter.keys.tenantId, -1);
    bump(this.#queuedExtension, waiter.keys.extensionId, -1);
  }

  #pump(): void {
    for (const waiter of [...this.#queue]) {
      if (this.#running >= this.#options.slots) return;
      if (!this.#canStart(waiter.keys)) continue;
      this.#dequeue(waiter);
      waiter.resolve(this.#start(waiter.keys));
    }
  }
}
