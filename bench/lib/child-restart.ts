// One "restart": a new process opens the stores and runner data of an earlier host (argv[2])
// and answers its first request for an already-published extension (argv[3]). Mode argv[4]:
// `runner` (registry, worker runner with its on-disk transpile cache, gateway) or `direct`
// (the same component from a disk transpile cache, instantiated and called in this thread).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgramLoadedEvent } from '@alga/host';
import { loadDirect, witRequest } from './direct';
import { createBenchHost } from './fixtures';
import { BENCH_DIR } from './report';
import { createBenchStack } from './stack';

const [root = '', extensionId = '', mode = 'runner'] = process.argv.slice(2);
const began = performance.now();
if (mode === 'direct') {
  const component = await readFile(join(BENCH_DIR, 'fixtures', 'noop', 'dist', 'component.wasm'));
  const loadedAt = performance.now();
  const program = await loadDirect(component, join(root, 'direct'));
  const response = program.instantiate().handle(witRequest('GET', '/noop', undefined, 'noop'));
  const done = performance.now();
  process.send?.({
    status: response.status,
    firstResponseMs: done - loadedAt,
    respondedAt: performance.timeOrigin + done,
    sinceStartMs: done - began,
  });
} else {
  const host = await createBenchHost(root);
  const stack = await createBenchStack({ policy: 'fresh', dataDir: join(root, 'runner') }, host);
  let instantiateMs = 0;
  stack.runner.events.on('invocation:end', (event) => {
    instantiateMs = event.instantiateMs;
  });
  let load: ProgramLoadedEvent | undefined;
  stack.runner.events.on('program:loaded', (event) => {
    load ??= event;
  });
  const createdAt = performance.now();
  const response = await stack.gateway.fetch(stack.request(extensionId, '/noop'));
  await response.arrayBuffer();
  const done = performance.now();
  // A second runner in the same process, warmed first: splits isolate start-up and program
  // load (verify, cached transpile, compile, send) from the request itself.
  const second = await createBenchStack({ policy: 'fresh', dataDir: join(root, 'runner') }, host);
  const warmStarted = performance.now();
  const installed = await host.registry.resolveInstall('bench', extensionId);
  await second.runner.warm(installed.contentHash, installed);
  const warmed = performance.now();
  const again = await second.gateway.fetch(second.request(extensionId, '/noop'));
  await again.arrayBuffer();
  const answered = performance.now();
  await second.close();
  process.send?.({
    status: response.status,
    firstResponseMs: done - createdAt,
    respondedAt: performance.timeOrigin + done,
    sinceStartMs: done - began,
    instantiateMs,
    load,
    warmMs: warmed - warmStarted,
    afterWarmMs: answered - warmed,
  });
  await stack.close();
  await host.close();
}
process.disconnect?.();
