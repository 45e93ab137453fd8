import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeListener, isSuspiciousTarget, toExpressHandler } from '../src/gateway/adapters';

/** Echoes what the web-standard handler saw: method, full path, body length, one header. */
async function echo(request: Request): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  const url = new URL(request.url);
  return new Response(
    JSON.stringify({
      method: request.method,
      path: url.pathname + url.search,
      bytes: body.byteLength,
      trace: request.headers.get('x-ext-trace'),
    }),
    { status: 201, headers: { 'content-type': 'application/json', 'x-ext-done': 'yes' } },
  );
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/** Sends `target` byte for byte (fetch would normalise dot segments and backslashes away). */
function rawGet(base: string, target: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: target, method: 'GET' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('suspicious request targets', () => {
  it('flags backslashes and dot segments, plain or encoded, in the path only', () => {
    expect(isSuspiciousTarget('/ext-ui/a/b/../c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a/%2e%2e/c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a/.%2E/c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a/./c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a\\..\\c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a/%5c/c')).toBe(true);
    expect(isSuspiciousTarget('/ext-ui/a/..b/c.js')).toBe(false);
    expect(isSuspiciousTarget('/api/ext/x/y?path=../..\\z')).toBe(false);
  });
});

describe('node:http adapter', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer(createNodeListener(echo));
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('streams the request body in and the response out', async () => {
    const response = await fetch(`${base}/api/ext/com.example.hello/items?x=1`, {
      method: 'POST',
      body: new Uint8Array(300_000),
      headers: { 'x-ext-trace': 't-1' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-ext-done')).toBe('yes');
    expect(await response.json()).toEqual({
      method: 'POST',
      path: '/api/ext/com.example.hello/items?x=1',
      bytes: 300_000,
      trace: 't-1',
    });
  });

  it('answers 404 JSON for traversal targets before the handler runs', async () => {
    for (const target of [
      '/ext-ui/a/h/../../etc/passwd',
      '/ext-ui/a/h/%2e%2e/x',
      '/ext-ui/a/h/..\\x',
    ]) {
      const { status, body } = await rawGet(base, target);
      expect(status, target).toBe(404);
      expect(JSON.parse(body).error.code).toBe('NOT_FOUND');
    }
  });
});

describe('Express adapter', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use('/api/ext', toExpressHandler(echo));
    app.use('/parsed', express.json(), toExpressHandler(echo));
    app.use(
      (
        error: Error & { code?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(500).json({ code: error.code });
      },
    );
    server = createServer(app);
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('hands the handler the full original URL and body, and writes its answer back', async () => {
    const response = await fetch(`${base}/api/ext/com.example.hello/a/b?q=2`, {
      method: 'PUT',
      body: 'x'.repeat(70_000),
      headers: { 'x-ext-trace': 'exp' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      method: 'PUT',
      path: '/api/ext/com.example.hello/a/b?q=2',
      bytes: 70_000,
      trace: 'exp',
    });
  });

  it('reports a body parser mounted in front of it instead of passing an empty body', async () => {
    const response = await fetch(`${base}/parsed/x`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ code: 'CONFIG_INVALID' });
  });

  it('answers 404 for traversal targets', async () => {
    const { status } = await rawGet(base, '/api/ext/com.example.hello/../../secret');
    expect(status).toBe(404);
  });
});
