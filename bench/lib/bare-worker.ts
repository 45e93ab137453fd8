import { Worker } from 'node:worker_threads';
import type { WitRequest, WitResponse } from './direct';

/** A worker that answers each `{ id, ... }` message with one `{ id, ... }` message. */
function requester<Answer extends { id: number }>(worker: Worker) {
  const pending = new Map<number, (answer: Answer) => void>();
  let nextId = 0;
  worker.on('message', (answer: Answer) => {
    pending.get(answer.id)?.(answer);
    pending.delete(answer.id);
  });
  return {
    send(message: object): Promise<Answer> {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ ...message, id });
      });
    },
    async close(): Promise<void> {
      await worker.terminate();
    },
  };
}

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
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const requests = requester<{ id: number; response: WitResponse }>(worker);
  await ready;
  return {
    async call(request) {
      return (await requests.send({ request })).response;
    },
    close: requests.close,
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
  const requests = requester<{ id: number; postedAt: number }>(
    new Worker(SPIN_WORKER, { eval: true }),
  );
  return {
    async roundTrip(busyUs) {
      const { postedAt } = await requests.send({ busyUs });
      return (performance.timeOrigin + performance.now() - postedAt) * 1000;
    },
    close: requests.close,
  };
}
