import { parentPort, workerData } from 'node:worker_threads';
import { loadDirect, type WitRequest } from './direct';

const port = parentPort;
if (port === null) throw new TypeError('bare-worker-main must run in a worker thread');
const { component } = workerData as { component: Uint8Array };
const instance = (await loadDirect(component)).instantiate();
port.on('message', (message: { id: number; request: WitRequest }) => {
  const response = instance.handle(message.request);
  port.postMessage({
    id: message.id,
    response: { status: response.status, headers: response.headers, body: response.body },
  });
});
port.postMessage({ ready: true });
