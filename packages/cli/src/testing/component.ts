import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { HostCallError, TestingError } from './errors';
import type { Transpiled } from './transpile';

/**
 * What the guest engine (StarlingMonkey) prints before it traps when its event loop has nothing
 * left to run and the handler's promise is still pending.
 */
const EVENT_LOOP_RAN_DRY = 'event loop error, but no exception is pending';

/** The WIT request the component's `handle` receives. */
export interface WitRequest {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Array<{ name: string; value: string }>;
  body: Uint8Array;
  params: Array<[string, string]>;
  handler?: string;
  kind: 'api' | 'ui-proxy';
}

/** The WIT response `handle` returns, with what the guest wrote to stdio. */
export interface WitResult {
  status: number;
  headers: Array<{ name: string; value: string }>;
  body: Uint8Array;
  stdout: string;
  stderr: string;
}

/** Answers one host import for the running invocation. */
export type ImportHandler = (iface: string, fn: string, args: unknown[]) => Promise<unknown>;

interface WorkerReply {
  id: number;
  response?: { status: number; headers: Array<{ name: string; value: string }>; body: Uint8Array };
  trap?: string;
  stdout: string;
  stderr: string;
}

interface HostCallMessage {
  iface: string;
  fn: string;
  args: unknown[];
}

/**
 * Runs one component in a worker thread. Host imports are answered on this thread while the
 * worker waits, so providers may be asynchronous (real HTTP, test stubs) and a test's own
 * loopback server keeps serving. Invocations run one at a time on a fresh instance each.
 */
export class ComponentWorker {
  readonly #transpiled: Transpiled;
  readonly #alga: string[];
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #port: MessagePort | undefined;
  #signal: Int32Array | undefined;
  #onImport: ImportHandler | undefined;
  #pending = new Map<
    number,
    { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }
  >();
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(transpiled: Transpiled) {
    this.#transpiled = transpiled;
    this.#alga = transpiled.imports.filter((name) => name.startsWith('alga:'));
  }

  #start(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready;
    const signal = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { dir: this.#transpiled.dir, port: port2, signal },
      transferList: [port2],
    });
    this.#worker = worker;
    this.#port = port1;
    this.#signal = new Int32Array(signal);
    port1.on('message', (message: HostCallMessage) => void this.#answer(message));
    // An idle component must not keep the process alive; `invoke` refs the worker while busy.
    // (Unref after adding the listener: listening on a port refs it again.)
    port1.unref();
    worker.unref();
    this.#ready = new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        const wrapped = new TestingError(
          'LOAD_FAILED',
          `the component worker failed: ${error.message}`,
          { cause: error },
        );
        reject(wrapped);
        this.#failAll(wrapped);
        this.#reset();
      };
      worker.once('error', fail);
      worker.on('message', (message: WorkerReply | { ready: true }) => {
        if ('ready' in message) {
          resolve();
          return;
        }
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        pending?.resolve(message);
      });
      worker.once('exit', (code) => {
        if (this.#worker === worker) fail(new Error(`the worker exited with code ${code}`));
      });
    });
    return this.#ready;
  }

  async #answer(message: HostCallMessage): Promise<void> {
    let reply: { ok: unknown } | { err: { tag: string; val: string } } | { trap: string };
    try {
      if (this.#onImport === undefined)
        throw new Error('a host call arrived outside an invocation');
      reply = { ok: await this.#onImport(message.iface, message.fn, message.args) };
    } catch (error) {
      reply =
        error instanceof HostCallError
          ? { err: { tag: error.tag, val: error.message } }
          : {
              trap: `the provider of ${message.iface}.${message.fn} threw: ${(error as Error).message}`,
            };
    }
    const signal = this.#signal;
    if (signal === undefined) return;
    this.#port?.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #reset(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#port?.close();
    this.#port = undefined;
    this.#signal = undefined;
    void worker?.terminate();
  }

  /** Runs `request` on a fresh instance; imports go to `onImport`. */
  invoke(request: WitRequest, onImport: ImportHandler, timeoutMs: number): Promise<WitResult> {
    const run = async (): Promise<WitResult> => {
      if (this.#closed) throw new TestingError('CLOSED', 'the component was closed');
      const started = this.#start();
      this.#worker?.ref();
      let timer: NodeJS.Timeout | undefined;
      try {
        await started;
        const worker = this.#worker;
        if (worker === undefined) {
          throw new TestingError('LOAD_FAILED', 'the component worker is not running');
        }
        this.#onImport = onImport;
        const id = this.#nextId++;
        const reply = await new Promise<WorkerReply>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          timer = setTimeout(() => {
            this.#pending.delete(id);
            reject(
              new TestingError(
                'TIMEOUT',
                `the invocation ran longer than ${timeoutMs} ms; the worker was stopped`,
              ),
            );
            this.#reset();
          }, timeoutMs);
          worker.postMessage({ id, request, interfaces: this.#alga });
        });
        if (reply.response === undefined) {
          const what = reply.stderr.includes(EVENT_LOOP_RAN_DRY)
            ? "the handler's promise never settled: the guest had nothing left to wait for (no timer pending; host calls do not suspend), so a promise in the handler is never resolved"
            : `the component trapped: ${reply.trap ?? 'unknown error'}`;
          throw new TestingError('GUEST_TRAPPED', `${what}\nstderr: ${reply.stderr}`);
        }
        return { ...reply.response, stdout: reply.stdout, stderr: reply.stderr };
      } finally {
        clearTimeout(timer);
        this.#onImport = undefined;
        this.#worker?.unref();
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the worker; later invocations fail with `CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new TestingError('CLOSED', 'the component was closed'));
    const worker = this.#worker;
    this.#reset();
    if (worker !== undefined) await worker.terminate();
  }
}
