import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'eventemitter3';
import type { Program } from '../engine/engine';
import { RunnerError } from '../errors';
import { drain, type Isolate, type IsolateBoot, type IsolateEvents } from '../pool/isolate';
import type { CallResult, FromWorker, InvokeMessage, ToProcess } from '../worker/protocol';

/**
 * An isolate in a child process, for hosts that want tenant code out of their own process.
 * The child runs the same worker entry in a thread of its own and relays the isolate protocol
 * over IPC (`advanced` serialization keeps bytes and bigints intact). A deadline kills the
 * whole child with SIGKILL.
 */
export class ProcessIsolate extends EventEmitter<IsolateEvents> implements Isolate {
  readonly ready: Promise<void>;
  readonly deadlineGraceMs = 1_000;
  readonly #child: ChildProcess;
  readonly #loaded = new Set<string>();
  /** Loads waiting for their files, and the sends queued behind them (replies never wait). */
  #waitingLoads = 0;
  #ordered: Promise<void> = Promise.resolve();
  #alive = true;
  #started: { readonly id: number; readonly at: number } | undefined;

  constructor(entry: URL, workerEntry: URL, boot: IsolateBoot) {
    super();
    this.#child = fork(fileURLToPath(entry), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ALGA_RUNNER_BOOT: JSON.stringify({ workerEntry: workerEntry.href, ...boot }) },
      execArgv: [],
    });
    drain(this.#child.stdout);
    drain(this.#child.stderr);
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') {
          this.#child.off('message', onMessage);
          resolve();
        }
      };
      this.#child.on('message', onMessage);
      this.once('exit', (reason) =>
        reject(
          new RunnerError('WORKER_CRASHED', `the isolate died before it was ready (${reason})`),
        ),
      );
    });
    this.ready.catch(() => {});
    // A message the child receives before its entry listens would be lost: loads wait for ready.
    this.#ordered = this.ready.catch(() => {});
    this.#child.on('message', (message: FromWorker) => {
      if (message.type === 'started') this.#started = { id: message.id, at: message.at };
      else if (message.type !== 'ready') this.emit('message', message);
    });
    this.#child.on('error', (error) => this.#exit(`child process error: ${error.message}`));
    this.#child.on('exit', (code, signal) =>
      this.#exit(`child process exited (${signal ?? code})`),
    );
  }

  get alive(): boolean {
    return this.#alive;
  }

  load(program: Program): void {
    if (this.#loaded.has(program.id)) return;
    this.#loaded.add(program.id);
    // The child reads the module files, which may still be on their way to the disk; the
    // invocations sent after this load wait behind it. A failed write fails the child's load.
    this.#waitingLoads++;
    this.#ordered = this.#ordered
      .then(() => program.files)
      .catch(() => [])
      .then((files) => {
        this.#waitingLoads--;
        this.#send({
          type: 'load',
          programId: program.id,
          glueUrl: program.glueUrl,
          files,
          memoryPages: program.memoryPages,
        });
      });
  }

  invoke(message: InvokeMessage): void {
    if (this.#waitingLoads === 0) this.#send(message);
    else this.#ordered = this.#ordered.then(() => this.#send(message));
  }

  startedAt(id: number): number | undefined {
    return this.#started?.id === id ? this.#started.at : undefined;
  }

  reply(result: CallResult): void {
    this.#send({ type: 'reply', result });
  }

  kill(): void {
    if (!this.#alive) return;
    this.#child.kill('SIGKILL');
    this.#exit('terminated');
  }

  #send(message: ToProcess): void {
    if (this.#alive && this.#child.connected) this.#child.send(message);
  }

  #exit(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.emit('exit', reason);
  }
}
