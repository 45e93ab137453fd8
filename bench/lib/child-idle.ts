// New shapes in a host whose publishes come minutes apart: its transpile worker has stopped
// (30 s idle) by the time the next one comes. A process of its own, because the coldstart
// bench runs jco in its own thread, which would keep jco's code compiled for the runner's
// worker as no host does. argv: how long to wait before each new shape (ms), how many.
import { join } from 'node:path';
import { buildFixture, createBenchHost, uniqueShapeComponent } from './fixtures';
import { createBenchStack, publishAndCall } from './stack';

const [waitMs = '31000', count = '1'] = process.argv.slice(2);
const host = await createBenchHost();
const stack = await createBenchStack({ policy: 'fresh', dataDir: join(host.root, 'runner') }, host);
const noop = await buildFixture('noop');
const tag = Date.now().toString(36);

/** A component of a new shape published as `version`: its first response, in ms. */
async function firstResponse(version: string): Promise<number> {
  const component = uniqueShapeComponent(noop.component, `${tag}-${version}`);
  return (await publishAndCall(stack, noop, component, version, `idle-${version}`)).firstResponseMs;
}

const firstInProcess = await firstResponse('1.0.0');
const afterIdle: number[] = [];
for (let i = 1; i <= Number(count); i++) {
  await new Promise((resolve) => setTimeout(resolve, Number(waitMs)));
  afterIdle.push(await firstResponse(`1.0.${i}`));
}
process.send?.({ firstInProcess, afterIdle });
await stack.close();
await host.close();
process.disconnect?.();
