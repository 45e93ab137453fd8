// A host wired by hand (registry, worker runner with the policy given as argv[2], gateway)
// on node:http: what an embedding application gets, with the instance policy under its control.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeListener, type InstancePolicy } from '@alga/host';
import { createBenchHost } from './fixtures';
import { createBenchStack } from './stack';

const policy = (process.argv[2] ?? 'reuse') as InstancePolicy;
const host = await createBenchHost();
const noop = await host.publishAndInstall('noop', 'bench');
const json = await host.publishAndInstall('json', 'bench');
const stack = await createBenchStack({ policy }, host);
await stack.runner.warm(noop.contentHash, noop);
await stack.runner.warm(json.contentHash, json);
const server = createServer(createNodeListener(stack.gateway.fetch));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({
    type: 'ready',
    url: `http://127.0.0.1:${port}`,
    paths: { noop: `/api/ext/${noop.extensionId}/noop`, json: `/api/ext/${json.extensionId}/echo` },
  });
});
process.on('disconnect', () => {
  server.close();
  void stack
    .close()
    .then(() => host.close())
    .then(() => process.exit(0));
});
