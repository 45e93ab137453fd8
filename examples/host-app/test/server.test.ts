import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HostApp, startHostApp, TENANT_HEADER } from '@alga/example-host-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The host app's credential policy over a real embedded host: the page's own requests act for
// the selected tenant (or the operator), anything else must bring its own credential.
let scratch: string;
let app: HostApp;
let port: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'alga-host-app-'));
  await writeFile(join(scratch, 'trust.json'), JSON.stringify({ keys: [] }));
  app = await startHostApp({
    port: 0,
    host: { dataDir: join(scratch, 'host'), trust: join(scratch, 'trust.json') },
  });
  port = new URL(app.appOrigin).port;
  const created = await fetch(`${app.host.url}/api/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.host.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: 'acme' }),
  });
  app.setTenants({ acme: ((await created.json()) as { apiKey: string }).apiKey });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await rm(scratch, { recursive: true, force: true });
});

const call = async (path: string, headers: Record<string, string>, hostname = 'localhost') => {
  const response = await app.fetch(
    new Request(`http://${hostname}:${port}${path}`, {
      headers: { host: `${hostname}:${port}`, ...headers },
    }),
  );
  return { status: response.status, text: await response.text() };
};

describe('host app credentials', () => {
  it("adds the selected tenant's key to the page's own gateway calls", async () => {
    const own = await call('/api/ext/com.example.hello/hello', {
      'sec-fetch-site': 'same-origin',
      [TENANT_HEADER]: 'acme',
    });
    expect(own.status).toBe(404);
    expect(JSON.parse(own.text)).toMatchObject({ error: { code: 'NOT_INSTALLED' } });
  });

  it('adds nothing to a cross-site request, a request without a session, or an unknown tenant', async () => {
    for (const headers of [
      { 'sec-fetch-site': 'cross-site', [TENANT_HEADER]: 'acme' },
      { [TENANT_HEADER]: 'acme' },
      { 'sec-fetch-site': 'same-origin', [TENANT_HEADER]: 'globex' },
    ]) {
      const answer = await call('/api/ext/com.example.hello/hello', headers);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('adds the admin token only to the settings routes and the debug stream', async () => {
    const own = { 'sec-fetch-site': 'same-origin' };
    expect((await call('/api/v1/installs/acme/com.example.hello/settings', own)).status).toBe(404);
    expect((await call('/api/v1/tenants', own)).status).toBe(401);
    expect((await call('/api/v1/extensions', own)).status).toBe(401);
    expect(
      (
        await call('/api/v1/installs/acme/com.example.hello/settings', {
          'sec-fetch-site': 'same-site',
        })
      ).status,
    ).toBe(401);
  });

  it('passes a caller’s own credential through unchanged', async () => {
    const answer = await call('/api/v1/tenants', {
      authorization: `Bearer ${app.host.adminToken}`,
    });
    expect(JSON.parse(answer.text)).toEqual({ tenants: ['acme'] });
  });

  it('serves the page state only to the page itself', async () => {
    expect((await call('/demo/api/state', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const state = await call('/demo/api/state', { 'sec-fetch-site': 'same-origin' });
    expect(JSON.parse(state.text)).toEqual({
      uiOrigin: `http://127.0.0.1:${port}`,
      tenants: [{ id: 'acme', installs: [] }],
    });
  });
});

describe('host app origins', () => {
  it('serves the page on the app name and refuses any other name', async () => {
    const page = await call('/', {});
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>Alga demo host</title>');
    expect((await call('/', {}, 'evil.example')).status).toBe(421);
  });

  it("passes the embedded host's liveness and readiness probes through", async () => {
    await app.host.warmed;
    expect(await call('/healthz', {})).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect(await call('/readyz', {})).toEqual({ status: 200, text: '{"status":"ready"}' });
  });

  it('serves /ext-ui/ only on the UI name, and nothing else there', async () => {
    expect((await call('/ext-ui/com.example.hello/sha256:00/index.html', {})).status).toBe(404);
    expect((await call('/', {}, '127.0.0.1')).status).toBe(404);
    const asset = await call(
      `/ext-ui/com.example.hello/sha256:${'0'.repeat(64)}/index.html`,
      {},
      '127.0.0.1',
    );
    expect(asset.status).toBe(404);
    expect(JSON.parse(asset.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
