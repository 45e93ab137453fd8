import { MessageChannel, Worker } from 'node:worker_threads';
import { z } from 'zod';
import { compileCoreModules } from '../engine/compile';
import { lowerPriority } from '../pool/priority';
import { type FromWorker, SHARED_STATE_BYTES, type ToProcess } from '../worker/protocol';

/**
 * Child-process entry: starts the worker entry in a thread, compiles programs from the
 * transpile cache on disk (WebAssembly modules cannot cross processes), and relays the
 * isolate protocol between the parent (IPC) and the worker (postMessage + Atomics).
 */

const bootSchema = z.object({
  workerEntry: z.string(),
  interfaces: z.record(z.string(), z.array(z.string())),
  maxInstances: z.number().int().positive(),
  codeCacheDir: z.string().optional(),
  niceness: z.number().int().min(0).max(19).optional(),
});

const send = process.send?.bind(process);
if (send === undefined)
  throw new TypeError('the runner process entry must be started with an IPC channel');
const boot = bootSchema.parse(JSON.parse(process.env.ALGA_RUNNER_BOOT ?? '{}'));
delete process.env.ALGA_RUNNER_BOOT;
// Before the worker starts: on Linux a new thread inherits its creator's niceness.
lowerPriority(boot.niceness);

const flag = new SharedArrayBuffer(SHARED_STATE_BYTES);
const flagView = new Int32Array(flag);
const { port1: replies, port2: replyPort } = new MessageChannel();
const worker = new Worker(new URL(boot.workerEntry), {
  workerData: {
    flag,
    replyPort,
    interfaces: boot.interfaces,
    maxInstances: boot.maxInstances,
    codeCacheDir: boot.codeCacheDir,
    postStarted: true,
  },
  transferList: [replyPort],
  stdout: true,
  stderr: true,
  env: {},
});
worker.stdout.on('data', () => {});
worker.stderr.on('data', () => {});
// The deadline is enforced here, next to the worker, so IPC latency does not stretch it.
const deadlines = new Map<number, number>();
let running: { id: number; timer: NodeJS.Timeout } | undefined;

worker.on('message', (message: FromWorker) => {
  if (message.type === 'started') {
    const late = Math.max(0, performance.timeOrigin + performance.now() - message.at);
    const timeoutMs = Math.max(0, (deadlines.get(message.id) ?? 0) - late);
    running = {
      id: message.id,
      timer: setTimeout(() => {
        send({ type: 'timeout', id: message.id });
        void worker.terminate();
      }, timeoutMs),
    };
  } else if (message.type === 'done' && running?.id === message.id) {
    clearTimeout(running.timer);
    running = undefined;
    deadlines.delete(message.id);
  }
  send(message);
});
worker.on('error', () => process.exit(70));
worker.on('exit', (code) => process.exit(code === 0 ? 70 : code));

// Loads compile asynchronously; invocations queue behind them so the worker never sees an
// invocation for a program it has not been sent.
let chain: Promise<void> = Promise.resolve();

process.on('message', (message: ToProcess) => {
  if (message.type === 'reply') {
    replies.postMessage(message.result);
    Atomics.store(flagView, 0, 1);
    Atomics.notify(flagView, 0);
    return;
  }
  if (message.type === 'load') {
    chain = chain.then(async () => {
      try {
        const modules = await compileCoreModules(message.files, message.memoryPages);
        worker.postMessage({
          type: 'load',
          programId: message.programId,
          glueUrl: message.glueUrl,
          modules,
          memoryPages: message.memoryPages,
        });
      } catch (error) {
        send({
          type: 'load-failed',
          programId: message.programId,
          message: (error as Error).message,
        });
      }
    });
    return;
  }
  deadlines.set(message.id, message.timeoutMs);
  chain = chain.then(() => {
    worker.postMessage(message);
  });
});

process.on('disconnect', () => process.exit(0));
