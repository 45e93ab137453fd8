import type { Readable } from 'node:stream';
import { MessageChannel, Worker } from 'node:worker_threads';
import { EventEmitter } from 'eventemitter3';
import type { Program } from '../engine/engine';
import { RunnerError } from '../errors';
import {
  type CallResult,
  type FromWorker,
  type InvokeMessage,
  SHARED_STATE_BYTES,
  STARTED_AT_INDEX,
  STARTED_ID_INDEX,
} from '../worker/protocol';

/** Events of an {@link Isolate}. */
export interface IsolateEvents {
  message: [message: FromWorker];
  /** The isolate is gone (terminated, crashed or killed). */
  exit: [reason: string];
}

/** What every isolate gets at start. */
export interface IsolateBoot {
  readonly interfaces: Readonly<Record<string, readonly string[]>>;
  readonly maxInstances: number;
  /** Where isolates keep V8's code cache of the glue they load (see `loadGlue`). */
  readonly codeCacheDir?: string;
  /** Scheduling niceness of the guest's thread or process (0: the host's own). */
  readonly niceness?: number;
}

/**
 * One place tenant code runs: a worker thread, or a child process. The pool drives both through
 * this interface, so limits, policies and providers do not depend on the isolation mode.
 */
export interface Isolate extends EventEmitter<IsolateEvents> {
  /** Resolves once the isolate can take work; rejects when it dies first. */
  readonly ready: Promise<void>;
  /** Sends `program` unless this isolate already has it; callable before {@link ready}. */
  load(program: Program): void;
  invoke(message: InvokeMessage): void;
  /** Answers the guest's pending host call. */
  reply(result: CallResult): void;
  /**
   * When invocation `id`'s handler started (epoch ms), or `undefined` while it is still
   * waiting for its program or instance. Only the latest invocation is known.
   */
  startedAt(id: number): number | undefined;
  /**
   * Extra time the pool waits past an invocation's deadline before it kills the isolate itself:
   * 0 for a thread; a child process enforces the deadline on its own side (no IPC latency in
   * the measurement) and is killed only if it fails to.
   */
  readonly deadlineGraceMs: number;
  /** Stops the isolate now, whatever it is running. */
  kill(): void;
  readonly alive: boolean;
}

/** Creates isolates of one mode. */
export type IsolateFactory = (boot: IsolateBoot) => Isolate;

/** Reads a stream to its end and drops it: isolate output never reaches the host's stdout. */
export function drain(stream: Readable | null | undefined): void {
  stream?.on('data', () => {});
}

/** An isolate in a `worker_threads` worker sharing compiled modules with the runner. */
export class ThreadIsolate extends EventEmitter<IsolateEvents> implements Isolate {
  readonly ready: Promise<void>;
  readonly deadlineGraceMs = 0;
  readonly #worker: Worker;
  readonly #flag: Int32Array;
  readonly #startedAt: Float64Array;
  readonly #replies: MessageChannel['port1'];
  readonly #loaded = new Set<string>();
  #alive = true;

  constructor(entry: URL, boot: IsolateBoot) {
    super();
    const flag = new SharedArrayBuffer(SHARED_STATE_BYTES);
    const { port1, port2 } = new MessageChannel();
    this.#flag = new Int32Array(flag);
    this.#startedAt = new Float64Array(flag);
    this.#replies = port1;
    this.#worker = new Worker(entry, {
      workerData: {
        flag,
        replyPort: port2,
        interfaces: boot.interfaces,
        maxInstances: boot.maxInstances,
        codeCacheDir: boot.codeCacheDir,
        niceness: boot.niceness,
      },
      transferList: [port2],
      stdout: true,
      stderr: true,
      env: {},
      // The entry is self-contained: loaders the host process runs under (tsx, say) would only
      // slow every isolate's start.
      execArgv: [],
    });
    drain(this.#worker.stdout);
    drain(this.#worker.stderr);
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') {
          this.#worker.off('message', onMessage);
          resolve();
        }
      };
      this.#worker.on('message', onMessage);
      this.once('exit', (reason) =>
        reject(
          new RunnerError('WORKER_CRASHED', `the isolate died before it was ready (${reason})`),
        ),
      );
    });
    this.ready.catch(() => {});
    this.#worker.on('message', (message: FromWorker) => {
      if (message.type !== 'ready') this.emit('message', message);
    });
    this.#worker.on('error', (error) => this.#exit(`worker error: ${error.message}`));
    this.#worker.on('exit', (code) => this.#exit(`worker exited with code ${code}`));
  }

  get alive(): boolean {
    return this.#alive;
  }

  load(program: Program): void {
    if (this.#loaded.has(program.id)) return;
    this.#loaded.add(program.id);
    this.#worker.postMessage({
      type: 'load',
      programId: program.id,
      glueUrl: program.glueUrl,
      ...(program.glueScript === undefined ? {} : { glueScript: program.glueScript }),
      modules: program.modules,
      memoryPages: program.memoryPages,
    });
  }

  invoke(message: InvokeMessage): void {
    this.#worker.postMessage(message);
  }

  startedAt(id: number): number | undefined {
    if (Atomics.load(this.#flag, STARTED_ID_INDEX) !== id) return undefined;
    return this.#startedAt[STARTED_AT_INDEX];
  }

  reply(result: CallResult): void {
    this.#replies.postMessage(result);
    Atomics.store(this.#flag, 0, 1);
    Atomics.notify(this.#flag, 0);
  }

  kill(): void {
    if (!this.#alive) return;
    void this.#worker.terminate();
    this.#exit('terminated');
  }

  #exit(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#replies.close();
    this.emit('exit', reason);
  }
}
