import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  loadExtension,
  MemoryStorage,
  type TestEnvironment,
  type TestExtension,
} from '@alga/cli/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

let ext: TestExtension;
let server: Server;
let origin: string;
let seen: Seen[] = [];

// A real quote service on loopback; the harness sends the allowed host api.quotes.example there.
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.headers.authorization !== 'Bearer k-live-123') {
      res.writeHead(401).end();
      return;
    }
    const price = req.url?.includes('currency=EUR') ? 11.5 : 12.5;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ price }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ext = await loadExtension(fileURLToPath(new URL('..', import.meta.url)));
});
afterAll(async () => {
  await ext?.close();
  server?.close();
});
beforeEach(() => {
  seen = [];
});

function env(overrides: TestEnvironment = {}): TestEnvironment {
  return {
    secrets: { apiKey: 'k-live-123' },
    config: { apiBase: 'https://api.quotes.example', currency: 'EUR' },
    http: { origins: { 'api.quotes.example': origin } },
    ...overrides,
  };
}

describe('examples/secrets-demo', () => {
  it('uses the secret and config, calls the allowed host and counts lookups in storage', async () => {
    const storage = new MemoryStorage();
    const first = await ext.invoke({ path: '/quotes/acme' }, env({ storage }));
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ symbol: 'ACME', price: 11.5, currency: 'EUR', lookups: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/v1/quotes/ACME?currency=EUR');
    expect(seen[0]?.headers.authorization).toBe('Bearer k-live-123');
    expect(first.httpCalls).toEqual([
      {
        method: 'GET',
        url: 'https://api.quotes.example/v1/quotes/ACME?currency=EUR',
        outcome: 200,
      },
    ]);

    const second = await ext.invoke({ path: '/quotes/ACME' }, env({ storage }));
    expect(second.json()).toEqual({ symbol: 'ACME', price: 11.5, currency: 'EUR', lookups: 2 });
    expect(storage.getJson('lookups/ACME')).toBe(2);
    expect(storage.revision('lookups/ACME')).toBe(2);
  });

  it('uses the manifest defaults when the install kept them', async () => {
    const res = await ext.invoke(
      { path: '/quotes/XYZ' },
      { secrets: { apiKey: 'k-live-123' }, http: { origins: { 'api.quotes.example': origin } } },
    );
    expect(res.json()).toEqual({ symbol: 'XYZ', price: 12.5, currency: 'USD', lookups: 1 });
  });

  it('answers 412 while the secret is not set, without calling out', async () => {
    const res = await ext.invoke({ path: '/quotes/ACME' }, env({ secrets: {} }));
    expect(res.status).toBe(412);
    expect(res.json()).toEqual({
      error: { code: 'NOT_CONFIGURED', message: 'set the API key in the extension settings' },
    });
    expect(seen).toEqual([]);
  });

  it('cannot reach a host off the allowlist (403 from the host, nothing sent)', async () => {
    const res = await ext.invoke(
      { path: '/quotes/ACME' },
      env({ config: { apiBase: 'https://evil.example', currency: 'USD' } }),
    );
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'CAPABILITY_DENIED' } });
    expect(res.json<{ error: { message: string } }>().error.message).toContain(
      "evil.example is not on this install's egress allowlist",
    );
    expect(res.httpCalls).toEqual([
      { method: 'GET', url: 'https://evil.example/v1/quotes/ACME?currency=USD', outcome: 'denied' },
    ]);
    expect(seen).toEqual([]);
  });

  it('answers 403 when the operator did not grant cap:secrets.get', async () => {
    const res = await ext.invoke(
      { path: '/quotes/ACME' },
      env({ grants: ['cap:config.read', 'cap:http.fetch', 'cap:storage.kv', 'cap:log.emit'] }),
    );
    expect(res.status).toBe(403);
    expect(res.text()).not.toContain('k-live-123');
    expect(res.json()).toMatchObject({
      error: { code: 'CAPABILITY_DENIED', message: expect.stringContaining('cap:secrets.get') },
    });
  });

  it('maps an upstream failure to 502 and logs it', async () => {
    const res = await ext.invoke({ path: '/quotes/ACME' }, env({ secrets: { apiKey: 'wrong' } }));
    expect(res.status).toBe(502);
    expect(res.logs).toEqual([
      { level: 'warn', message: 'quote service failed', fields: { status: 401, symbol: 'ACME' } },
    ]);
  });
});
