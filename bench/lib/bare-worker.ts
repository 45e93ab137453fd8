import { Worker } from 'node:worker_threads';
import type { WitRequest, WitResponse } from './direct';

/**
 * The same component called in a plain worker thread: one `postMessage` each way, no runner,
 * no pool, no limits. What any host that keeps guests out of its main thread pays at least,
 * so the runner's figures can be read against it as well as against a call in this thread.
 */
export interface BareWorker {
  call(request: WitRequest): Promise<WitResponse>;
  close(): Promise<void>;
}

/** Starts a worker that loads `component` the way the direct baseline does and serves calls. */
export async function startBareWorker(component: Uint8Array): Promise<BareWorker> {
  const worker = new Worker(new URL('./bare-worker-entry.mjs', import.meta.url), {
    workerData: { component },
  });
  const pending = new Map<number, (response: WitResponse) => void>();
  let nextId = 0;
  worker.on('message', (message: { id: number; response: WitResponse }) => {
    pending.get(message.id)?.(message.response);
    pending.delete(message.id);
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  return {
    call(request) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ id, request });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}

const SPIN_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, busyUs }) => {
  const until = performance.now() + busyUs / 1000;
  while (performance.now() < until);
  parentPort.postMessage({ id, postedAt: performance.timeOrigin + performance.now() });
});
`;

/**
 * A worker that spins for `busyUs` microseconds and answers: a round trip with no guest.
 * `roundTrip` resolves with how long the answer took to reach this thread (microseconds from
 * the worker's `postMessage` to this thread's handler), which is how fast this thread woke.
 */
export function startSpinWorker(): {
  roundTrip(busyUs: number): Promise<number>;
  close(): Promise<void>;
} {
  const worker = new Worker(SPIN_WORKER, { eval: true });
  const pending = new Map<number, (wakeUs: number) => void>();
  let nextId = 0;
  worker.on('message', ({ id, postedAt }: { id: number; postedAt: number }) => {
    const wakeUs = (performance.timeOrigin + performance.now() - postedAt) * 1000;
    pending.get(id)?.(wakeUs);
    pending.delete(id);
  });
  return {
    roundTrip(busyUs) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ id, busyUs });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
