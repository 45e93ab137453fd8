import type { Program } from '../engine/engine';
import { RunnerError } from '../errors';
import type { CallResult, FromWorker, InvokeMessage } from '../worker/protocol';
import type { Isolate, IsolateBoot, IsolateFactory } from './isolate';

/** Programs preloaded into every new isolate. */
const HOT_PROGRAMS = 4;
/**
 * The pool starts one isolate at once and the rest once it has answered a request, once more
 * requests wait than isolates are starting, or after this long, whichever comes first. At a
 * host's start the two cores then go to its first response: three isolates starting beside the
 * bundle's verification and compilation cost a restart's first response 15-25 ms.
 */
const FILL_AFTER_MS = 1_000;

type DoneMessage = Extract<FromWorker, { type: 'done' }>;

/** One invocation handed to the pool. */
export interface PoolJob {
  readonly program: Program;
  readonly message: Omit<InvokeMessage, 'id' | 'type' | 'timeoutMs'>;
  readonly timeoutMs: number;
  /** Serves a host call on the trusted side; `signal` aborts at the deadline. */
  readonly onCall: (
    iface: string,
    fn: string,
    args: unknown[],
    signal: AbortSignal,
  ) => Promise<CallResult>;
  readonly onStdio: (stream: 'stdout' | 'stderr', text: string, truncated: boolean) => void;
}

/** How the pool saw the invocation end. */
export type PoolOutcome =
  | { readonly kind: 'done'; readonly done: DoneMessage; readonly elapsedMs: number }
  | { readonly kind: 'timeout'; readonly elapsedMs: number }
  | { readonly kind: 'crashed'; readonly reason: string; readonly elapsedMs: number };

/** Options of {@link IsolatePool}. */
export interface PoolOptions {
  readonly factory: IsolateFactory;
  readonly boot: IsolateBoot;
  /** Isolates running invocations at once. */
  readonly size: number;
  /** Extra started isolates kept idle, so a terminated one is replaced without a cold start. */
  readonly spares: number;
  /** How long an isolate may take to load and instantiate before the handler starts. Default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * How long before an invocation's deadline the pool starts the isolate that would replace it,
   * capped at half the deadline; `0` starts the replacement only at the kill.
   */
  readonly replaceAheadMs: number;
  /** Called when an isolate is replaced, with why. */
  readonly onReplace?: (reason: string) => void;
  /** Called when a standby took a killed isolate's place, or was not needed. */
  readonly onStandby?: (outcome: 'replaced' | 'dismissed') => void;
}

interface Running {
  readonly id: number;
  readonly job: PoolJob;
  readonly finish: (outcome: PoolOutcome) => void;
}

/**
 * A pool of isolates: it keeps `size + spares` started (the first at once, the rest soon after:
 * see {@link FILL_AFTER_MS}), hands each invocation an idle one
 * (preferring one that served the same install, which holds its warm instance or spare),
 * enforces the deadline by killing the isolate, and replaces every isolate that dies.
 *
 * An invocation still running shortly before its deadline is likely to be killed at it, so the
 * pool starts its replacement then (a standby, one at a time): a new isolate takes 50-120 ms to
 * serve on two cores, which would otherwise leave the pool one isolate short after every kill.
 * If the invocation ends in time, the pool is one isolate over, and gives one idle isolate up.
 */
export class IsolatePool {
  readonly #options: PoolOptions;
  readonly #idle: Isolate[] = [];
  readonly #all = new Set<Isolate>();
  readonly #running = new Map<Isolate, Running>();
  readonly #lastInstall = new Map<Isolate, string>();
  readonly #waiters: Array<{
    resolve: (isolate: Isolate) => void;
    reject: (error: Error) => void;
  }> = [];
  #nextId = 1;
  #replaced = 0;
  #closed = false;
  /** Isolates spawned and not yet ready (or dead). */
  #starting = 0;
  /** Whether the isolates beyond the first have been started. */
  #filled = false;
  readonly #fillTimer: ReturnType<typeof setTimeout> | undefined;
  /** Programs used most recently (insertion order is recency), preloaded into new isolates. */
  readonly #hot = new Map<string, Program>();
  readonly #startTimeoutMs: number;
  #startFailures = 0;
  /** Standbys by the isolate whose kill they would replace. */
  readonly #standbys = new Map<Isolate, Isolate>();
  /** Isolates given up as surplus: their exit is not a replacement. */
  readonly #retired = new WeakSet<Isolate>();
  /** Isolates that have been ready; one not in it is still starting (or died starting). */
  readonly #started = new WeakSet<Isolate>();
  /** Isolates over `size + spares` (a standby whose invocation ended in time), given up when idle. */
  #surplus = 0;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RunnerError(
        'CONFIG',
        `isolation.size must be a positive integer, got ${options.size}`,
      );
    }
    this.#options = options;
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.#spawn();
    if (options.size + options.spares > 1) {
      this.#fillTimer = setTimeout(() => this.#fill(), FILL_AFTER_MS);
      this.#fillTimer.unref();
    }
  }

  /** Isolates alive (started or starting). */
  get size(): number {
    return this.#all.size;
  }

  /** Isolates running an invocation. */
  get busy(): number {
    return this.#running.size;
  }

  /** Isolates replaced since start (killed at a deadline, crashed). */
  get replaced(): number {
    return this.#replaced;
  }

  /** Resolves once every isolate started so far is ready. */
  async ready(): Promise<void> {
    await Promise.all([...this.#all].map((isolate) => isolate.ready.catch(() => {})));
  }

  /** Runs one invocation on an idle isolate. */
  async run(job: PoolJob): Promise<PoolOutcome> {
    if (this.#closed) throw new RunnerError('CLOSED', 'the runner is closed');
    this.#remember(job.program);
    const isolate = await this.#acquire(job.message.installKey);
    const id = this.#nextId++;
    const started = performance.now();
    return new Promise<PoolOutcome>((resolve) => {
      // Made on the first host call: most requests make none, and aborting costs a DOMException.
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (outcome: PoolOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(standbyTimer);
        controller?.abort();
        isolate.off('message', onMessage);
        isolate.off('exit', onExit);
        this.#running.delete(isolate);
        if (outcome.kind === 'done') this.#dismissStandby(isolate);
        if (isolate.alive) this.#release(isolate, job.message.installKey);
        resolve(outcome);
      };
      const onMessage = (message: FromWorker) => {
        if (!('id' in message) || message.id !== id) return;
        if (message.type === 'call') {
          controller ??= new AbortController();
          job.onCall(message.iface, message.fn, message.args, controller.signal).then(
            (result) => {
              if (!settled && isolate.alive) isolate.reply(result);
            },
            (error: unknown) => {
              if (!settled && isolate.alive) {
                isolate.reply({
                  err: { tag: 'unavailable', val: (error as Error).message ?? 'host call failed' },
                });
              }
            },
          );
        } else if (message.type === 'timeout') {
          stop({ kind: 'timeout', elapsedMs: performance.now() - started });
        } else if (message.type === 'stdio') {
          job.onStdio(message.stream, message.text, message.truncated);
        } else if (message.type === 'done') {
          finish({ kind: 'done', done: message, elapsedMs: performance.now() - started });
        }
      };
      const onExit = (reason: string) => {
        finish({ kind: 'crashed', reason, elapsedMs: performance.now() - started });
      };
      const stop = (outcome: PoolOutcome) => {
        finish(outcome);
        // Terminating stops a looping guest within milliseconds; a spare takes over meanwhile.
        isolate.kill();
      };
      // The deadline counts from when the isolate had the program loaded (instantiating counts,
      // loading does not: it has a generous guard of its own). The isolate records the start where
      // this check reads it, so the timer is armed for the earliest possible deadline and
      // re-armed for the rest of the time, or while the handler has not started yet.
      const limitMs = job.timeoutMs + isolate.deadlineGraceMs;
      const check = () => {
        const waitedMs = performance.now() - started;
        const at = isolate.startedAt(id);
        if (at === undefined) {
          if (waitedMs >= this.#startTimeoutMs) {
            const reason = `the handler did not start within ${this.#startTimeoutMs} ms`;
            stop({ kind: 'crashed', reason, elapsedMs: waitedMs });
          } else timer = setTimeout(check, Math.min(limitMs, this.#startTimeoutMs - waitedMs));
          return;
        }
        const leftMs = at + limitMs - (performance.timeOrigin + performance.now());
        if (leftMs > 0) timer = setTimeout(check, leftMs);
        else stop({ kind: 'timeout', elapsedMs: waitedMs });
      };
      let timer = setTimeout(check, limitMs);
      // Counted from the pool's hand-off rather than the handler's start: a standby is a guess.
      const aheadMs = Math.min(this.#options.replaceAheadMs, job.timeoutMs / 2);
      const standbyTimer =
        aheadMs > 0 ? setTimeout(() => this.#standBy(isolate), job.timeoutMs - aheadMs) : undefined;
      this.#running.set(isolate, { id, job, finish });
      isolate.on('message', onMessage);
      isolate.once('exit', onExit);
      isolate.load(job.program);
      isolate.invoke({ type: 'invoke', id, timeoutMs: job.timeoutMs, ...job.message });
    });
  }

  /** Sends `program` to every started isolate now, and to later ones when they start. */
  preload(program: Program): void {
    this.#remember(program);
    for (const isolate of this.#idle) isolate.load(program);
  }

  /** Stops every isolate; running invocations end as crashed. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#fillTimer);
    for (const isolate of [...this.#all]) isolate.kill();
    this.#idle.length = 0;
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new RunnerError('CLOSED', 'the runner is closed'));
  }

  /** Starts the isolates beyond the first, once. */
  #fill(): void {
    if (this.#filled || this.#closed) return;
    this.#filled = true;
    clearTimeout(this.#fillTimer);
    // Every slot but the first: a first isolate that died is being respawned in its own slot.
    for (let slot = 1; slot < this.#options.size + this.#options.spares; slot++) this.#spawn();
  }

  #spawn(): Isolate {
    const isolate = this.#options.factory(this.#options.boot);
    this.#all.add(isolate);
    this.#starting++;
    // Sent now, the programs load while the isolate finishes starting; it takes them in order.
    for (const program of this.#hot.values()) isolate.load(program);
    isolate.once('exit', (reason) => {
      const started = this.#started.has(isolate);
      if (!started) this.#starting--;
      this.#all.delete(isolate);
      this.#lastInstall.delete(isolate);
      const index = this.#idle.indexOf(isolate);
      if (index >= 0) this.#idle.splice(index, 1);
      if (this.#closed || this.#retired.has(isolate)) return;
      this.#replaced++;
      this.#options.onReplace?.(reason);
      // Its standby, started before the deadline, is the replacement.
      if (this.#standbys.delete(isolate)) {
        this.#options.onStandby?.('replaced');
        return;
      }
      // Starting a process (or thread) blocks for milliseconds: let the answer to the invocation
      // that killed this isolate go out first (`setImmediate`: after the callbacks and promise
      // reactions that deliver it, without the millisecond a zero timeout waits). Isolates that
      // die before they are ready (a broken install, no memory) are restarted with a growing
      // delay rather than in a tight loop.
      const respawn = () => {
        if (!this.#closed) this.#spawn();
      };
      if (started) setImmediate(respawn);
      else {
        this.#startFailures++;
        setTimeout(respawn, Math.min(5_000, 50 * 2 ** this.#startFailures));
      }
    });
    isolate.ready.then(
      () => {
        if (!isolate.alive || this.#closed) return;
        this.#started.add(isolate);
        this.#starting--;
        this.#startFailures = 0;
        // Programs first used while it started (the rest were sent at spawn).
        for (const program of this.#hot.values()) isolate.load(program);
        this.#release(isolate, undefined);
      },
      () => {},
    );
    return isolate;
  }

  /** Starts the replacement of `isolate` ahead of its likely kill, unless one is already starting. */
  #standBy(isolate: Isolate): void {
    if (this.#closed || !isolate.alive || this.#standbys.size > 0) return;
    this.#standbys.set(isolate, this.#spawn());
  }

  /** `isolate`'s invocation ended in time: the pool gives up its standby, or the next idle isolate. */
  #dismissStandby(isolate: Isolate): void {
    const standby = this.#standbys.get(isolate);
    if (standby === undefined) return;
    this.#standbys.delete(isolate);
    this.#options.onStandby?.('dismissed');
    // Idle or still starting, it goes now; busy or already handed to a waiter, the next isolate
    // released with nothing waiting goes instead.
    const starting = standby.alive && !this.#started.has(standby);
    if (starting || this.#idle.includes(standby)) this.#retire(standby);
    else this.#surplus++;
  }

  #retire(isolate: Isolate): void {
    this.#retired.add(isolate);
    const index = this.#idle.indexOf(isolate);
    if (index >= 0) this.#idle.splice(index, 1);
    isolate.kill();
  }

  #remember(program: Program): void {
    this.#hot.delete(program.id);
    this.#hot.set(program.id, program);
    if (this.#hot.size > HOT_PROGRAMS) this.#hot.delete(this.#hot.keys().next().value as string);
  }

  #release(isolate: Isolate, installKey: string | undefined): void {
    if (this.#surplus > 0 && this.#waiters.length === 0) {
      this.#surplus--;
      this.#retire(isolate);
      return;
    }
    if (installKey !== undefined) {
      this.#lastInstall.set(isolate, installKey);
      this.#fill();
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(isolate);
    else this.#idle.push(isolate);
  }

  #acquire(installKey: string): Promise<Isolate> {
    if (this.#idle.length > 0) {
      let index = this.#idle.findIndex((isolate) => this.#lastInstall.get(isolate) === installKey);
      if (index < 0) index = this.#idle.findIndex((isolate) => !this.#lastInstall.has(isolate));
      if (index < 0) index = 0;
      const [isolate] = this.#idle.splice(index, 1);
      if (isolate !== undefined) return Promise.resolve(isolate);
    }
    const waiting = new Promise<Isolate>((resolve, reject) =>
      this.#waiters.push({ resolve, reject }),
    );
    if (this.#waiters.length > this.#starting) this.#fill();
    return waiting;
  }
}
