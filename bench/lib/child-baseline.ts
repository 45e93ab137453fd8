// The throughput baseline: a plain node:http server answering the same workloads as the
// fixtures (`ok` for GET /noop, the JSON body parsed and re-serialised for POST /echo).
// argv[2]: the port (default: any free one).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url?.endsWith('/noop')) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
});
server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({
    type: 'ready',
    url: `http://127.0.0.1:${port}`,
    paths: { noop: '/noop', json: '/echo' },
  });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
