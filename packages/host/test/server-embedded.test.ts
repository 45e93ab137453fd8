import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeBundleSignature } from '../src/bundle/signature';
import {
  createEmbeddedHost,
  type EmbeddedHost,
  type EmbeddedHostOptions,
} from '../src/server/embedded-host';
import { type SignedBundle, type TestSigner, testSigner } from './fixtures/gateway-support/bundles';
import { statusesBundle } from './fixtures/gateway-support/statuses';

const ADMIN = 'admin-token-for-tests-0123456789';
const SECRET = 'sk-live-embedded-host-never-log-me';
const EXT = 'com.alga.gateway-statuses';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request sent byte for byte (no client-side path normalisation). */
function raw(base: string, target: string, headers: Record<string, string> = {}): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: target, method: 'GET', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('embedded host (alga serve) over loopback', () => {
  let dir: string;
  let host: EmbeddedHost;
  let options: EmbeddedHostOptions;
  let signer: TestSigner;
  let bundle: SignedBundle;
  let spoiled: SignedBundle;
  const logs: string[] = [];
  const keys: Record<string, string> = {};

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${host.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });
  const call = (tenant: string, path: string, init: RequestInit = {}) =>
    fetch(`${host.url}/api/ext/${EXT}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${keys[tenant]}`,
        ...(init.headers as Record<string, string>),
      },
    });
  const publish = async (b: SignedBundle) => {
    const form = new FormData();
    form.set('bundle', new Blob([b.bytes as Uint8Array<ArrayBuffer>]), 'ext.algabundle');
    form.set('signature', serializeBundleSignature(b.signature));
    return fetch(`${host.url}/api/v1/extensions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      body: form,
    });
  };
  const install = (body: Record<string, unknown>) =>
    admin('/api/v1/extensions/install', { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alga-embedded-'));
    signer = await testSigner('alga-tests');
    const trustPath = join(dir, 'trust.json');
    await writeFile(
      trustPath,
      JSON.stringify({
        keys: [{ ...signer.key.publicKeyDocument('alga-tests'), publisher: 'alga-tests' }],
      }),
    );
    bundle = await statusesBundle(signer);
    spoiled = await statusesBundle(signer, '1.0.1');
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    options = {
      dataDir: join(dir, 'data'),
      port: 0,
      trust: trustPath,
      adminToken: ADMIN,
      gatewayTimeoutMs: 2000,
      maxRequestBodyBytes: 64 * 1024,
      rateLimitTenant: '40/60',
    };
    host = await createEmbeddedHost({ ...options, logger: pino({ level: 'info' }, sink) });
    expect((await publish(bundle)).status).toBe(201);
    expect((await publish(spoiled)).status).toBe(201);
    for (const tenant of ['acme', 'flood', 'tamper', 'off', 'empty']) {
      const created = await admin('/api/v1/tenants', {
        method: 'POST',
        body: JSON.stringify({ tenant }),
      });
      keys[tenant] = ((await created.json()) as { apiKey: string }).apiKey;
    }
    const acme = await install({
      tenant: 'acme',
      extensionId: EXT,
      version: '1.0.0',
      grants: ['cap:context.read', 'cap:log.emit', 'cap:config.read'],
      config: { greeting: 'Hi' },
      secrets: { apiKey: SECRET },
    });
    expect(acme.status).toBe(201);
    expect((await install({ tenant: 'flood', extensionId: EXT, version: '1.0.0' })).status).toBe(
      201,
    );
    expect((await install({ tenant: 'off', extensionId: EXT, version: '1.0.0' })).status).toBe(201);
    expect((await install({ tenant: 'tamper', extensionId: EXT, version: '1.0.1' })).status).toBe(
      201,
    );
  });

  afterAll(async () => {
    await host?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers /healthz and refuses the admin API without the admin token', async () => {
    expect(await (await fetch(`${host.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const anonymous = await fetch(`${host.url}/api/v1/extensions`);
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const listed = (await (await admin('/api/v1/extensions')).json()) as {
      extensions: { id: string; versions: { version: string; contentHash: string }[] }[];
    };
    expect(listed.extensions).toEqual([
      {
        id: EXT,
        publisher: 'alga-tests',
        versions: [
          expect.objectContaining({ version: '1.0.0', contentHash: bundle.contentHash }),
          expect.objectContaining({ version: '1.0.1', contentHash: spoiled.contentHash }),
        ],
      },
    ]);
  });

  it('republishing the same bundle is idempotent (200) and a bad signature is refused (400)', async () => {
    expect((await publish(bundle)).status).toBe(200);
    const response = await publish({ ...bundle, signature: spoiled.signature });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { reason: string } }).error.reason).toBe(
      'HASH_MISMATCH',
    );
  });

  it('runs an endpoint with the tenant injected and the caller credentials stripped', async () => {
    const response = await call('acme', '/hello', { headers: { cookie: 'session=browser' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      greeting: 'Hi',
      tenant: 'acme',
      injectedTenant: 'acme',
      configVersion: '1',
      authorization: null,
      cookie: null,
    });
    expect(await (await call('acme', '/items/a%20b')).json()).toEqual({ id: 'a b' });
  });

  it('never lets a handler set a cookie on the client', async () => {
    const response = await call('acme', '/cookie');
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-ext-cookie')).toBe('tried');
    expect(await response.text()).toBe('cookie set');
  });

  it('answers 401 without a tenant API key', async () => {
    const response = await fetch(`${host.url}/api/ext/${EXT}/hello`);
    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe('UNAUTHENTICATED');
  });

  it('answers 400 for a malformed path', async () => {
    const response = await call('acme', '/items/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe('BAD_REQUEST');
  });

  it('answers 403 when the handler uses a capability the install was not granted', async () => {
    const response = await call('acme', '/secret');
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain(SECRET);
  });

  it('answers 404 for an undeclared endpoint, no install, and a disabled install', async () => {
    const undeclared = await call('acme', '/admin');
    expect(undeclared.status).toBe(404);
    const body = (await undeclared.json()) as { error: Record<string, unknown> };
    expect(body.error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(body.error.endpoints).toBeUndefined();
    expect(await errorCode(await call('empty', '/hello'))).toBe('NOT_INSTALLED');
    const patched = await admin(`/api/v1/installs/off/${EXT}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: false }),
    });
    expect(patched.status).toBe(200);
    const disabled = await call('off', '/hello');
    expect(disabled.status).toBe(404);
    expect(await errorCode(disabled)).toBe('EXTENSION_DISABLED');
  });

  it('answers 413 for a body over the cap, declared or streamed', async () => {
    const declared = await call('acme', '/echo', {
      method: 'POST',
      body: 'x'.repeat(64 * 1024 + 1),
    });
    expect(declared.status).toBe(413);
    expect(await errorCode(declared)).toBe('PAYLOAD_TOO_LARGE');
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 16 * 1024;
        if (sent > 1024 * 1024) controller.close();
        else controller.enqueue(new Uint8Array(16 * 1024));
      },
    });
    const streamed = await call('acme', '/echo', {
      method: 'POST',
      body: endless,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const small = await call('acme', '/echo', { method: 'POST', body: 'small body' });
    expect(await small.text()).toBe('small body');
  });

  it('answers 429 with retry-after once a tenant is over its rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) statuses.push((await call('flood', '/items/1')).status);
    expect(statuses.every((status) => status === 200)).toBe(true);
    const limited = await call('flood', '/items/1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await errorCode(limited)).toBe('RATE_LIMITED');
    expect((await call('acme', '/items/2')).status).toBe(200);
  });

  it('answers 504 when the handler outlives EXT_GATEWAY_TIMEOUT_MS, and keeps serving', async () => {
    const started = Date.now();
    const response = await call('acme', '/slow');
    expect(response.status).toBe(504);
    expect(await errorCode(response)).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await call('acme', '/items/3')).status).toBe(200);
  });

  it('serves the UI from the install ui.src with immutable caching, 304 and traversal 404s', async () => {
    const installed = await admin(`/api/v1/installs/acme/${EXT}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: true }),
    });
    const { ui } = (await installed.json()) as { ui: { src: string } };
    expect(ui.src).toBe(`${host.url}/ext-ui/${EXT}/${bundle.contentHash}/index.html`);
    const page = await fetch(ui.src);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(page.headers.get('content-security-policy')).toContain(
      `frame-ancestors 'self' ${host.url}`,
    );
    const etag = page.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"sha256-[0-9a-f]{64}"$/);
    const again = await fetch(ui.src, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const prefix = `/ext-ui/${EXT}/${bundle.contentHash}`;
    for (const target of [
      `${prefix}/../../../../etc/passwd`,
      `${prefix}/%2e%2e/manifest.json`,
      `${prefix}/%252e%252e/manifest.json`,
      `${prefix}/..\\manifest.json`,
      `${prefix}/..%5cmanifest.json`,
    ]) {
      expect((await raw(host.url, target)).status, target).toBe(404);
    }
  });

  it('reads, saves and resets settings without ever returning a secret', async () => {
    const path = `/api/v1/installs/acme/${EXT}/settings`;
    const settings = (await (await admin(path)).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({
      config: { greeting: 'Hi' },
      secrets: { apiKey: { set: true } },
    });
    expect(JSON.stringify(settings)).not.toContain(SECRET);
    const saved = await admin(path, {
      method: 'PUT',
      body: JSON.stringify({ config: { greeting: 'Hey' } }),
    });
    expect(((await saved.json()) as { configVersion: number }).configVersion).toBe(2);
    expect(await (await call('acme', '/hello')).json()).toMatchObject({
      greeting: 'Hey',
      configVersion: '2',
    });
    const invalid = await admin(path, {
      method: 'PUT',
      body: JSON.stringify({ config: { greeting: 5 } }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { reason: string } }).error.reason).toBe(
      'CONFIG_INVALID',
    );
    const reset = (await (await admin(path, { method: 'DELETE' })).json()) as Record<
      string,
      unknown
    >;
    expect(reset).toMatchObject({
      config: { greeting: 'Hello' },
      secrets: { apiKey: { set: false } },
    });
  });

  it('lists, upgrades, downgrades and uninstalls an install, with its audit trail, and yanks a version', async () => {
    const base = `/api/v1/installs/empty/${EXT}`;
    expect((await install({ tenant: 'empty', extensionId: EXT, version: '1.0.0' })).status).toBe(
      201,
    );
    const listed = (await (await admin('/api/v1/installs/empty')).json()) as {
      installs: { extensionId: string; version: string; ui?: { src: string } }[];
    };
    expect(listed.installs).toEqual([
      expect.objectContaining({ extensionId: EXT, version: '1.0.0', ui: expect.any(Object) }),
    ]);

    const upgraded = await admin(base, {
      method: 'PATCH',
      body: JSON.stringify({ version: '1.0.1' }),
    });
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json()).toMatchObject({
      version: '1.0.1',
      contentHash: spoiled.contentHash,
    });
    expect(await (await call('empty', '/items/7')).json()).toEqual({ id: '7' });
    const configAlone = await admin(base, {
      method: 'PATCH',
      body: JSON.stringify({ config: { greeting: 'Yo' } }),
    });
    expect(configAlone.status).toBe(400);
    expect(await errorCode(configAlone)).toBe('BAD_REQUEST');

    const detail = await admin(`/api/v1/extensions/${EXT}/versions/1.0.1`);
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({
      extensionId: EXT,
      version: '1.0.1',
      state: 'active',
      manifest: { name: EXT, version: '1.0.1' },
    });
    const missing = await admin(`/api/v1/extensions/${EXT}/versions/9.9.9`);
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('NOT_FOUND');

    const yanked = await admin(`/api/v1/extensions/${EXT}/versions/1.0.1/yank`, { method: 'POST' });
    expect(yanked.status).toBe(200);
    const yankedBody = (await yanked.json()) as Record<string, unknown>;
    expect(yankedBody).toMatchObject({ version: '1.0.1', state: 'yanked' });
    expect(yankedBody.manifest).toBeUndefined();
    // The yanked version keeps serving the install that runs it; "latest" now means 1.0.0.
    expect((await call('empty', '/items/8')).status).toBe(200);
    const latest = await admin(base, {
      method: 'PATCH',
      body: JSON.stringify({ version: 'latest' }),
    });
    expect(((await latest.json()) as { version: string }).version).toBe('1.0.0');
    const refused = await admin(base, {
      method: 'PATCH',
      body: JSON.stringify({ version: '1.0.1' }),
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { reason: string } }).error.reason).toBe(
      'VERSION_UNAVAILABLE',
    );

    const audit = (await (await admin(`${base}/audit`)).json()) as {
      entries: { action: string; fromVersion?: string; toVersion?: string; actor: string }[];
    };
    expect(
      audit.entries.map((entry) => [entry.action, entry.fromVersion, entry.toVersion]),
    ).toEqual([
      ['install', undefined, '1.0.0'],
      ['upgrade', '1.0.0', '1.0.1'],
      ['downgrade', '1.0.1', '1.0.0'],
    ]);
    expect(audit.entries.every((entry) => entry.actor === 'admin-token')).toBe(true);

    const removed = await admin(base, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect(await errorCode(await call('empty', '/hello'))).toBe('NOT_INSTALLED');
    expect(await (await admin('/api/v1/installs/empty')).json()).toEqual({ installs: [] });
    expect(
      ((await (await admin(`${base}/audit`)).json()) as { entries: unknown[] }).entries,
    ).toHaveLength(4);

    const unknownTenant = await admin('/api/v1/installs/nobody');
    expect(unknownTenant.status).toBe(404);
    expect(
      ((await unknownTenant.json()) as { error: { message: string } }).error.message,
    ).toContain('Tenant nobody does not exist');
    for (const [method, path] of [
      ['GET', `${base}/nope`],
      ['DELETE', '/api/v1/installs/empty'],
      ['PUT', `${base}/audit`],
      ['GET', `/api/v1/extensions/${EXT}/1.0.0`],
      ['POST', `/api/v1/extensions/${EXT}/versions/1.0.0`],
    ] as const) {
      expect((await admin(path, { method })).status, `${method} ${path}`).toBe(404);
    }
  });

  it('serves Prometheus metrics and an admin-only debug stream', async () => {
    const metrics = await (await fetch(`${host.url}/metrics`)).text();
    expect(metrics).toContain('alga_gateway_requests_total{kind="api",status="200",code="ok"}');
    expect(metrics).toContain('alga_runner_invocation_duration_seconds');
    expect((await fetch(`${host.url}/api/ext-debug/stream`)).status).toBe(401);
    const stream = await fetch(`${host.url}/api/ext-debug/stream?tenant=acme`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: ready');
    expect(first).toContain('"tenantId":"acme"');
    await reader.cancel();
  });

  it('keeps secrets and API keys out of its logs and its tenant file', async () => {
    const everything = logs.join('');
    expect(everything).toContain('gateway request');
    expect(everything).not.toContain(SECRET);
    for (const key of Object.values(keys)) expect(everything).not.toContain(key);
    const tenantsFile = await readFile(join(host.settings.dataDir, 'tenants.json'), 'utf8');
    for (const key of Object.values(keys)) expect(tenantsFile).not.toContain(key);
    expect(JSON.parse(tenantsFile).tenants).toHaveLength(5);
  });

  it('drains an in-flight request on close, then refuses connections', async () => {
    const slow = call('acme', '/slow');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = host.close();
    const response = await slow;
    expect(response.status).toBe(504);
    await closing;
    await expect(fetch(`${host.url}/healthz`)).rejects.toThrow();
  });

  it('after a restart, keeps tenants, installs and secrets, and answers 502 for a bundle altered on disk', async () => {
    const path = join(host.bundles.root, 'sha256', spoiled.contentHash.slice('sha256:'.length));
    const altered = Uint8Array.from(await readFile(path));
    altered[altered.length - 100] = (altered[altered.length - 100] ?? 0) ^ 0xff;
    await writeFile(path, altered);
    const restartLogs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        restartLogs.push(chunk.toString('utf8'));
        done();
      },
    });
    host = await createEmbeddedHost({ ...options, logger: pino({ level: 'info' }, sink) });
    // Loaded at start, before any request: the good program; the altered one is refused and logged.
    // Asked in process, at once: the load waits on an isolate's start, a probe on nothing.
    const loading = await host.fetch(new Request(`${host.url}/readyz`));
    expect([loading.status, await loading.json()]).toEqual([503, { status: 'loading' }]);
    expect(await host.warmed).toMatchObject({ programs: 2, failed: 1 });
    expect(await (await fetch(`${host.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(host.runner.stats().programs).toBe(1);
    const refused = restartLogs.map((line) => JSON.parse(line)).find((entry) => entry.level === 40);
    expect(refused).toMatchObject({
      msg: 'an installed extension did not load at start; its requests will load it again',
      extensionId: EXT,
      version: '1.0.1',
      contentHash: spoiled.contentHash,
    });
    const response = await call('tamper', '/hello');
    expect(response.status).toBe(502);
    expect(await errorCode(response)).toBe('INTEGRITY');
    expect(await (await call('acme', '/items/9')).json()).toEqual({ id: '9' });

    await host.close();
    host = await createEmbeddedHost({
      ...options,
      warmOnStart: false,
      logger: pino({ level: 'silent' }),
    });
    expect(await host.warmed).toEqual({ programs: 0, failed: 0, durationMs: 0 });
    expect(host.runner.stats().programs).toBe(0);
    expect(await (await call('acme', '/items/9')).json()).toEqual({ id: '9' });
  });
});
