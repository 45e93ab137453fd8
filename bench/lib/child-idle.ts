// New shapes in a host whose publishes come minutes apart: its transpile worker has stopped
// (30 s idle) by the time the next one comes. A process of its own, because the coldstart
// bench runs jco in its own thread, which would keep jco's code compiled for the runner's
// worker as no host does. argv: how long to wait before each new shape (ms), how many.
import { join } from 'node:path';
import { packBundle } from '@alga/host';
import { ADMIN, buildFixture, createBenchHost, uniqueShapeComponent } from './fixtures';
import { createBenchStack } from './stack';

const [waitMs = '31000', count = '1'] = process.argv.slice(2);
const host = await createBenchHost();
const stack = await createBenchStack({ policy: 'fresh', dataDir: join(host.root, 'runner') }, host);
const noop = await buildFixture('noop');
const tag = Date.now().toString(36);

/** Publishes a component of a new shape as `version` for a new tenant; times its first response. */
async function firstResponse(version: string): Promise<number> {
  const packed = await packBundle({
    'manifest.json': new TextEncoder().encode(JSON.stringify({ ...noop.manifest, version })),
    'dist/component.wasm': uniqueShapeComponent(noop.component, `${tag}-${version}`),
  });
  const published = await host.publish(packed);
  const tenantId = `idle-${version}`;
  await host.registry.install(tenantId, published.extensionId, { version, actor: ADMIN });
  const started = performance.now();
  const response = await stack.gateway.fetch(
    stack.request(published.extensionId, '/noop', { tenantId }),
  );
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`a new shape answered ${response.status}`);
  return performance.now() - started;
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
