import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildExtension } from '@alga/cli';
import {
  loadComponent,
  loadExtension,
  MemoryStorage,
  type TestComponent,
  type TestExtension,
  TestingError,
} from '@alga/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KITCHEN = fileURLToPath(new URL('./fixtures/build-kitchen', import.meta.url));

let ext: TestExtension;
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`${req.method} ${req.url} x-from=${req.headers['x-from']} body=${body}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Same cache key as build.test.ts: whichever file runs first componentizes, the other waits.
  ext = await loadExtension(KITCHEN);
});
afterAll(async () => {
  await ext?.close();
  server?.close();
});

describe('loadExtension', () => {
  it('runs the component with manifest defaults for context, config and grants', async () => {
    const res = await ext.invoke(
      { path: '/whoami' },
      { context: { tenantId: 't-9', requestId: 'r-1' } },
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      requestId: 'r-1',
      tenantId: 't-9',
      extensionId: 'com.example.kitchen',
      installId: 'install-test',
      version: '2.3.4',
      contentHash: ext.componentHash,
      limit: 10,
      handler: null,
    });
  });

  it('opens secrets, reports unset ones as absent, and maps a denial the handler catches', async () => {
    const set = await ext.invoke(
      { path: '/secret-length' },
      { secrets: { token: 'abcdef', other: 'x' } },
    );
    expect(set.json()).toEqual({ set: true, length: 6, names: ['other', 'token'] });
    const unset = await ext.invoke({ path: '/secret-length' });
    expect(unset.json()).toEqual({ set: false, length: 0, names: [] });
    const denied = await ext.invoke(
      { path: '/secret-length' },
      { secrets: { token: 'abcdef' }, grants: ['cap:context.read'] },
    );
    expect(denied.status).toBe(418);
    expect(denied.json()).toEqual({
      error: { code: 'CAPABILITY_DENIED', message: 'cap:secrets.get' },
    });
  });

  it('turns an uncaught error into a safe 500 and keeps the stack on the server side', async () => {
    const res = await ext.invoke({ path: '/boom' });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({
      error: { code: 'INTERNAL', message: 'The extension failed to handle the request.' },
    });
    expect(res.text()).not.toContain('kaboom');
    expect(res.logs).toHaveLength(1);
    expect(res.logs[0]).toMatchObject({
      level: 'error',
      message: 'handler failed: Error: kaboom: internal detail 42',
      fields: { 'error.name': 'Error', 'error.code': null },
    });
    // The stack points into the sources (through the map alga build writes), not the bundle.
    const stack = String(res.logs[0]?.fields['error.stack']);
    expect(stack).toMatch(/^Error: kaboom: internal detail 42\n.*@src\/handler\.ts:27:13\n/);
    expect(stack).not.toContain('component.js:');
  });

  it('without cap:log.emit granted, the stack goes to captured stderr instead', async () => {
    const grants = ['cap:context.read', 'cap:config.read'] as const;
    const res = await ext.invoke({ path: '/boom' }, { grants });
    expect(res.status).toBe(500);
    expect(res.logs).toEqual([]);
    expect(res.stderr).toMatch(/^Error: kaboom: internal detail 42\n.*@src\/handler\.ts:27:13\n/);
  });

  it('rejects a value that is not a response with a 500 and says why in the log', async () => {
    const res = await ext.invoke({ path: '/not-a-response' });
    expect(res.status).toBe(500);
    expect(res.logs[0]?.fields['error.code']).toBe('INVALID_RESPONSE');
  });

  it('captures stdout and stderr of the guest', async () => {
    const res = await ext.invoke({ path: '/print?n=7' });
    expect(res.text()).toBe('printed');
    expect(res.stdout).toBe('to stdout 7\n');
    expect(res.stderr).toBe('to stderr\n');
  });

  it('stores with revisions, compare-and-set and pages, like the host', async () => {
    const storage = new MemoryStorage();
    const put = (key: string, body: string, ifMatch?: string) =>
      ext.invoke(
        {
          method: 'PUT',
          path: `/kv/${key}`,
          body,
          ...(ifMatch ? { headers: { 'If-Match': ifMatch } } : {}),
        },
        { storage },
      );
    expect((await put('a', 'one')).json()).toEqual({ revision: 1 });
    expect((await put('a', 'two', '1')).json()).toEqual({ revision: 2 });
    const conflict = await put('a', 'three', '1');
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toEqual({
      error: {
        code: 'CONFLICT',
        message: 'ctx.storage.put("a") failed (conflict): key "a" is at revision 2, not 1',
      },
    });
    expect((await put('b', 'new', '0')).json()).toEqual({ revision: 1 });
    expect((await put('b', 'again', '0')).status).toBe(409);
    await put('c', 'x');
    await put('other', 'y');
    const first = await ext.invoke({ path: '/kv', query: { limit: '2' } }, { storage });
    expect(first.json()).toEqual({ keys: ['a', 'b'], nextCursor: 'b' });
    const second = await ext.invoke(
      { path: '/kv', query: { limit: '2', cursor: 'b' } },
      { storage },
    );
    expect(second.json()).toEqual({ keys: ['c', 'other'] });
    const prefixed = await ext.invoke({ path: '/kv?prefix=o' }, { storage });
    expect(prefixed.json()).toEqual({ keys: ['other'] });
    expect(new TextDecoder().decode(storage.get('a')?.value)).toBe('two');
  });

  it("routes the guest's global fetch through the same stub and allowlist", async () => {
    const seen: string[] = [];
    const res = await ext.invoke(
      { method: 'POST', path: '/global-fetch', json: { url: 'https://eu.example.org/put' } },
      {
        http: {
          fetch: async (request) => {
            seen.push(`${request.method} ${request.url} ${await request.text()}`);
            return new Response('stored', { status: 201, headers: { etag: '"e1"' } });
          },
        },
      },
    );
    expect(res.json()).toEqual({ status: 201, etag: '"e1"', body: 'stored' });
    expect(seen).toEqual(['PUT https://eu.example.org/put from a blob']);
    expect(res.httpCalls).toEqual([
      { method: 'PUT', url: 'https://eu.example.org/put', outcome: 201 },
    ]);
    const denied = await ext.invoke({
      method: 'POST',
      path: '/global-fetch',
      json: { url: 'https://example.org/put' },
    });
    expect(denied.status).toBe(403);
  });

  it('fetches allowed hosts over real HTTP and denies the rest without sending', async () => {
    const allowed = await ext.invoke(
      {
        method: 'POST',
        path: '/fetch',
        json: { url: 'https://api.example.com/v1/items?x=1', method: 'POST', body: 'hi' },
      },
      { http: { origins: { 'api.example.com': origin } } },
    );
    expect(allowed.json()).toEqual({
      status: 200,
      type: 'text/plain',
      body: 'POST /v1/items?x=1 x-from=kitchen body=hi',
    });
    const wildcard = await ext.invoke(
      { method: 'POST', path: '/fetch', json: { url: 'https://eu.example.org/ping' } },
      { http: { fetch: (request) => new Response(`stubbed ${request.url}`, { status: 202 }) } },
    );
    expect(wildcard.json()).toEqual({
      status: 202,
      type: 'text/plain;charset=UTF-8',
      body: 'stubbed https://eu.example.org/ping',
    });
    const apex = await ext.invoke(
      { method: 'POST', path: '/fetch', json: { url: 'https://example.org/ping' } },
      { http: { fetch: () => new Response('must not be called') } },
    );
    expect(apex.status).toBe(403);
    expect(apex.httpCalls).toEqual([
      { method: 'GET', url: 'https://example.org/ping', outcome: 'denied' },
    ]);
    const otherPort = await ext.invoke({
      method: 'POST',
      path: '/fetch',
      json: { url: 'https://api.example.com:8443/' },
    });
    expect(otherPort.status).toBe(403);
    const unreachable = await ext.invoke(
      { method: 'POST', path: '/fetch', json: { url: 'https://api.example.com/' } },
      { http: { origins: { 'api.example.com': 'http://127.0.0.1:9' } } },
    );
    expect(unreachable.status).toBe(503);
    expect(unreachable.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
  });

  it('calls UI proxy routes of the fake host and counts metrics', async () => {
    const proxied = await ext.invoke(
      { method: 'POST', path: '/proxy', json: { status: 'open' } },
      {
        uiProxy: {
          'tickets.count': (payload) =>
            JSON.stringify({ count: 3, asked: JSON.parse(new TextDecoder().decode(payload)) }),
        },
      },
    );
    expect(proxied.json()).toEqual({ count: 3, asked: { status: 'open' } });
    const measured = await ext.invoke({ path: '/metrics' });
    expect(measured.metrics).toEqual([
      { kind: 'counter', name: 'kitchen_calls_total', value: 1, labels: { route: 'metrics' } },
      { kind: 'histogram', name: 'kitchen_size', value: 3.5, labels: {} },
    ]);
  });

  it('gives the guest working clocks and randomness', async () => {
    const before = Date.now();
    const { now, random } = (await ext.invoke({ path: '/clock' })).json<{
      now: number;
      random: number;
    }>();
    expect(now).toBeGreaterThanOrEqual(before - 1000);
    expect(now).toBeLessThanOrEqual(Date.now() + 1000);
    expect(random).toBeGreaterThanOrEqual(0);
    expect(random).toBeLessThan(1);
  });

  it('stops a guest that never returns and recovers for the next invocation', async () => {
    const error = await ext.invoke({ path: '/spin' }, { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    const after = await ext.invoke({ path: '/print' });
    expect(after.status).toBe(200);
  });

  it('reports a trap when a provider fails outside the WIT error contract', async () => {
    const error = await ext
      .invoke(
        { method: 'POST', path: '/proxy', json: {} },
        {
          uiProxy: {
            'tickets.count': () => {
              throw new Error('host bug');
            },
          },
        },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GUEST_TRAPPED' });
    expect((error as Error).message).toContain(
      'the provider of alga:extension/ui-proxy.call threw: host bug',
    );
    expect((await ext.invoke({ path: '/print' })).status).toBe(200);
  });

  it("bundles packages' worker builds and sets process.env.NODE_ENV, as web bundlers do", async () => {
    const res = await ext.invoke({ path: '/platform' });
    expect(res.json()).toEqual({ platform: 'worker', mode: 'production' });
  });

  it('says so when the handler returns a promise nothing will ever settle', async () => {
    const error = await ext.invoke({ path: '/never-settles' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GUEST_TRAPPED' });
    expect((error as Error).message).toMatch(/^the handler's promise never settled: /);
    expect((await ext.invoke({ path: '/print' })).status).toBe(200);
  });

  it('rejects unknown capabilities in grants', async () => {
    await expect(
      ext.invoke({ path: '/whoami' }, { grants: ['cap:everything' as never] }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });
});

describe('loadComponent', () => {
  let bare: TestComponent;
  beforeAll(async () => {
    const { componentPath } = await buildExtension({ dir: KITCHEN });
    bare = await loadComponent(componentPath);
  });
  afterAll(() => bare?.close());

  it('runs a component file without a manifest: every capability granted, no egress', async () => {
    expect(bare.componentHash).toBe(ext.componentHash);
    expect(bare.imports).toContain('alga:extension/secrets');
    const res = await bare.invoke({ path: '/whoami', handler: 'who' });
    expect(res.json()).toMatchObject({
      extensionId: 'com.example.test',
      version: '0.0.0',
      limit: null,
      handler: 'who',
    });
    const fetched = await bare.invoke({
      method: 'POST',
      path: '/fetch',
      json: { url: 'https://api.example.com/' },
    });
    expect(fetched.status).toBe(403);
  });
});

it('@alga/cli/testing exports exactly its public API', async () => {
  expect(Object.keys(await import('@alga/cli/testing')).sort()).toEqual([
    'MemoryStorage',
    'TestingError',
    'TestingErrorCode',
    'loadComponent',
    'loadExtension',
  ]);
});
