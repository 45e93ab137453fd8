import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createGateway, type GatewayInstall, type GatewayOptions } from '../src/gateway/gateway';
import { createRateLimiter } from '../src/gateway/rate-limit';
import type { VersionRecord } from '../src/registry/types';
import { executeRequestSchema, isChecked } from '../src/runner/request';
import type { ExecuteRequest, ExecuteResponse } from '../src/runner/types';

const HASH = `sha256:${'ab'.repeat(32)}`;

const MANIFEST = {
  name: 'com.example.gw',
  publisher: 'example',
  version: '1.2.0',
  runtime: 'wasm-js@1',
  capabilities: ['cap:context.read'],
  api: {
    endpoints: [
      { method: 'GET', path: '/items/:id', handler: 'getItem' },
      { method: 'POST', path: '/items', handler: 'createItem' },
      { method: 'GET', path: '/ping' },
    ],
  },
};

const INSTALL: GatewayInstall = {
  installId: 'inst-1',
  extensionId: 'com.example.gw',
  version: '1.2.0',
  contentHash: HASH,
  grants: ['cap:context.read'],
  egress: ['api.example.com'],
  config: { greeting: 'hi' },
  configVersion: 4,
  secretEnvelope: { v: 1, alg: 'A256GCM', kid: 'k1', iv: 'aXY', ct: 'Y3Q' },
  secretsVersion: 7,
  enabled: true,
};

const VERSION: VersionRecord = {
  extensionId: 'com.example.gw',
  version: '1.2.0',
  manifest: MANIFEST,
  contentHash: HASH,
  signature: {},
  publisherKeyId: 'ed25519:x',
  publisher: 'example',
  bundleSize: 1,
  componentSize: 1,
  publishedAt: '2025-01-01T00:00:00.000Z',
  state: 'active',
};

const ok = (body = '{"ok":true}', headers: [string, string][] = []): ExecuteResponse => ({
  status: 200,
  headers: [['content-type', 'application/json'], ...headers],
  body: new TextEncoder().encode(body),
});

interface Harness {
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  calls: ExecuteRequest[];
  gateway: ReturnType<typeof createGateway>;
}

function harness(
  answer: (request: ExecuteRequest) => Promise<ExecuteResponse> | ExecuteResponse = () => ok(),
  overrides: Partial<GatewayOptions> & { install?: GatewayInstall | undefined } = {},
): Harness {
  const calls: ExecuteRequest[] = [];
  const install = 'install' in overrides ? overrides.install : INSTALL;
  const gateway = createGateway({
    registry: {
      resolveInstall: async (tenantId, extensionId) =>
        tenantId === 'acme' && extensionId === 'com.example.gw' ? install : undefined,
    },
    store: { getVersion: async () => VERSION },
    runner: {
      execute: async (request) => {
        calls.push(request);
        return answer(request);
      },
    },
    resolveIdentity: (request) => {
      const auth = request.headers.get('authorization');
      return auth === 'Bearer acme-key' ? { tenantId: 'acme', actorId: 'user-9' } : undefined;
    },
    ...overrides,
  });
  return {
    calls,
    gateway,
    fetch: (path, init = {}) =>
      gateway.fetch(
        new Request(`http://host.test${path}`, {
          ...init,
          headers: {
            authorization: 'Bearer acme-key',
            ...(init.headers as Record<string, string>),
          },
        }),
      ),
  };
}

async function errorOf(
  response: Response,
): Promise<{ code: string; message: string; requestId: string }> {
  return (
    (await response.json()) as { error: { code: string; message: string; requestId: string } }
  ).error;
}

describe('gateway: a matched request', () => {
  it('runs the handler with the filtered request and the install, and filters the answer', async () => {
    const h = harness(() =>
      ok('{"id":"42"}', [
        ['set-cookie', 'sid=stolen'],
        ['x-ext-page', '1'],
        ['cache-control', 'public, max-age=30'],
        ['location', 'https://evil.example'],
      ]),
    );
    const response = await h.fetch('/api/ext/com.example.gw/items/42?x=1&x=2', {
      headers: {
        cookie: 'session=1',
        'x-request-id': 'client-req-0001',
        'x-alga-tenant': 'globex',
        accept: 'application/json',
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"id":"42"}');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('x-ext-page')).toBe('1');
    expect(response.headers.get('cache-control')).toBe('max-age=30, private');
    expect(response.headers.get('x-request-id')).toBe('client-req-0001');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');

    expect(h.calls).toHaveLength(1);
    const call = h.calls[0]!;
    expect(call.context).toEqual({
      requestId: 'client-req-0001',
      tenantId: 'acme',
      extensionId: 'com.example.gw',
      installId: 'inst-1',
      version: '1.2.0',
      contentHash: HASH,
    });
    expect(call.http).toMatchObject({
      method: 'GET',
      path: '/items/42',
      query: [
        ['x', '1'],
        ['x', '2'],
      ],
      params: { id: '42' },
      handler: 'getItem',
      kind: 'api',
    });
    expect(call.http.body.byteLength).toBe(0);
    expect(call.http.headers).toEqual([
      ['accept', 'application/json'],
      ['x-request-id', 'client-req-0001'],
      ['x-alga-tenant', 'acme'],
      ['x-ext-config-version', '4'],
      ['x-ext-secrets-version', '7'],
      ['x-alga-actor', 'user-9'],
    ]);
    expect(call.limits).toEqual({ timeoutMs: 10_000 });
    expect(call.config).toEqual({ greeting: 'hi' });
    expect(call.grants).toEqual(['cap:context.read']);
    expect(call.egress).toEqual(['api.example.com']);
    expect(call.secretEnvelope).toEqual(INSTALL.secretEnvelope);
    expect(call.secretsVersion).toBe(7);
  });

  it('delivers iframe calls as ui-proxy with the body', async () => {
    const h = harness();
    const response = await h.fetch('/api/ext-proxy/com.example.gw/items', {
      method: 'POST',
      body: '{"name":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    const call = h.calls[0]!;
    expect(call.http.kind).toBe('ui-proxy');
    expect(call.http.handler).toBe('createItem');
    expect(new TextDecoder().decode(call.http.body)).toBe('{"name":"x"}');
  });

  it('passes 204 without a body', async () => {
    const h = harness(() => ({ status: 204, headers: [], body: new Uint8Array(0) }));
    const response = await h.fetch('/api/ext/com.example.gw/ping');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });
});

describe('gateway: refusals', () => {
  it('answers 401 without an identity, before any lookup', async () => {
    const h = harness();
    const response = await h.fetch('/api/ext/com.example.gw/ping', {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(response.status).toBe(401);
    const error = await errorOf(response);
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('answers 404 for no install, a disabled install, and paths outside the gateway', async () => {
    expect(
      await errorOf(
        await harness(undefined, { install: undefined }).fetch('/api/ext/com.example.gw/ping'),
      ),
    ).toMatchObject({
      code: 'NOT_INSTALLED',
    });
    const disabled = harness(undefined, { install: { ...INSTALL, enabled: false } });
    const response = await disabled.fetch('/api/ext/com.example.gw/ping');
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('EXTENSION_DISABLED');
    expect(disabled.calls).toHaveLength(0);
    expect((await harness().fetch('/api/elsewhere')).status).toBe(404);
  });

  it('answers 404 for an undeclared endpoint, listing the declared ones only in dev mode', async () => {
    const prod = await harness().fetch('/api/ext/com.example.gw/admin', { method: 'DELETE' });
    expect(prod.status).toBe(404);
    const prodBody = (await prod.json()) as { error: Record<string, unknown> };
    expect(prodBody.error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(prodBody.error.endpoints).toBeUndefined();
    const dev = await harness(undefined, { dev: true }).fetch('/api/ext/com.example.gw/admin');
    const devBody = (await dev.json()) as { error: Record<string, unknown> };
    expect(devBody.error.endpoints).toEqual([
      { method: 'GET', path: '/items/:id' },
      { method: 'POST', path: '/items' },
      { method: 'GET', path: '/ping' },
    ]);
  });

  it('answers 400 for malformed percent-encoding', async () => {
    const response = await harness().fetch('/api/ext/com.example.gw/items/%E0%A4%A');
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('BAD_REQUEST');
  });

  it('answers 413 for a large body, too many headers, and a large answer', async () => {
    const small = {
      limits: { maxRequestBodyBytes: 10, maxResponseBodyBytes: 8, maxHeaderCount: 5 },
    };
    const h = harness(() => ok('x'.repeat(9)), small);
    const big = await h.fetch('/api/ext/com.example.gw/items', {
      method: 'POST',
      body: 'x'.repeat(11),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('connection')).toBe('close');
    expect((await errorOf(big)).code).toBe('PAYLOAD_TOO_LARGE');
    const headers: Record<string, string> = {};
    for (let i = 0; i < 6; i += 1) headers[`x-ext-h${i}`] = 'v';
    const many = await h.fetch('/api/ext/com.example.gw/ping', { headers });
    expect(many.status).toBe(413);
    expect((await errorOf(many)).code).toBe('HEADERS_TOO_LARGE');
    expect(h.calls).toHaveLength(0);
    const answer = await h.fetch('/api/ext/com.example.gw/ping');
    expect(answer.status).toBe(413);
    expect((await errorOf(answer)).code).toBe('RESPONSE_TOO_LARGE');
  });

  it('answers 429 with retry-after past the tenant or extension budget', async () => {
    const h = harness(undefined, {
      rateLimiter: createRateLimiter({
        perTenant: { points: 100, durationSeconds: 60 },
        perExtension: { points: 2, durationSeconds: 60 },
      }),
    });
    expect((await h.fetch('/api/ext/com.example.gw/ping')).status).toBe(200);
    expect((await h.fetch('/api/ext/com.example.gw/ping')).status).toBe(200);
    const limited = await h.fetch('/api/ext/com.example.gw/ping');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect((await errorOf(limited)).code).toBe('RATE_LIMITED');
    expect(h.calls).toHaveLength(2);
  });

  it('answers 504 when the handler outlives the gateway timeout', async () => {
    const h = harness(() => new Promise<ExecuteResponse>(() => undefined), {
      limits: { timeoutMs: 50 },
    });
    const started = Date.now();
    const response = await h.fetch('/api/ext/com.example.gw/ping');
    expect(response.status).toBe(504);
    expect((await errorOf(response)).code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('maps runner errors to statuses without passing their messages on', async () => {
    const cases = [
      ['INTEGRITY', 502, 'INTEGRITY'],
      ['TRAP', 502, 'UPSTREAM'],
      ['TIMEOUT', 504, 'TIMEOUT'],
      ['CAPABILITY_DENIED', 403, 'CAPABILITY_DENIED'],
      ['CONCURRENCY_LIMIT', 429, 'RATE_LIMITED'],
      ['RESPONSE_TOO_LARGE', 413, 'RESPONSE_TOO_LARGE'],
      ['CLOSED', 503, 'UNAVAILABLE'],
    ] as const;
    for (const [runnerCode, status, code] of cases) {
      const h = harness(() => ({
        status: 500,
        headers: [],
        body: new Uint8Array(0),
        error: { code: runnerCode, message: 'internal detail /srv/secret-path' },
      }));
      const response = await h.fetch('/api/ext/com.example.gw/ping');
      expect(response.status, runnerCode).toBe(status);
      const body = await response.text();
      expect(JSON.parse(body).error.code, runnerCode).toBe(code);
      expect(body).not.toContain('secret-path');
    }
  });

  it('answers 503 when the registry fails and 502 for a status a handler may not send', async () => {
    const broken = harness(undefined, {
      registry: {
        resolveInstall: async () => {
          throw new Error('connection refused to db at 10.0.0.5');
        },
      },
    });
    const response = await broken.fetch('/api/ext/com.example.gw/ping');
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain('10.0.0.5');
    const weird = harness(() => ({ status: 101, headers: [], body: new Uint8Array(0) }));
    expect((await weird.fetch('/api/ext/com.example.gw/ping')).status).toBe(502);
  });
});

describe('gateway: observability', () => {
  it('reports every answer as an event and in Prometheus metrics, without ids as labels', async () => {
    const metrics = new Registry();
    const h = harness(undefined, { metrics });
    const seen: unknown[] = [];
    h.gateway.events.on('request', (event) => seen.push(event));
    await h.fetch('/api/ext/com.example.gw/ping', { headers: { 'x-request-id': 'req-events-1' } });
    await h.fetch('/api/ext/com.example.gw/nope', { headers: { 'x-request-id': 'req-events-2' } });
    expect(seen).toEqual([
      expect.objectContaining({
        requestId: 'req-events-1',
        kind: 'api',
        status: 200,
        tenantId: 'acme',
        extensionId: 'com.example.gw',
      }),
      expect.objectContaining({
        requestId: 'req-events-2',
        status: 404,
        code: 'ENDPOINT_NOT_FOUND',
      }),
    ]);
    const text = await metrics.metrics();
    expect(text).toContain('alga_gateway_requests_total{kind="api",status="200",code="ok"} 1');
    expect(text).toContain(
      'alga_gateway_requests_total{kind="api",status="404",code="ENDPOINT_NOT_FOUND"} 1',
    );
    expect(text).toContain('alga_gateway_request_duration_seconds_count{kind="api"} 2');
    expect(text).not.toContain('acme');
  });
});

describe('gateway: what the runner parses', () => {
  // INSTALL's secret envelope is too short for the runner's schema; this one passes it.
  const wellFormed = {
    ...INSTALL,
    secretEnvelope: { ...INSTALL.secretEnvelope, iv: 'a'.repeat(16), ct: 'c'.repeat(22) },
  } as GatewayInstall;

  it('hands the runner requests it need not parse again, parsing each install once', async () => {
    const parse = vi.spyOn(executeRequestSchema, 'safeParse');
    try {
      const h = harness(() => ok(), { install: wellFormed });
      for (const path of ['/items/1', '/items/2?q=x', '/ping']) {
        expect((await h.fetch(`/api/ext/com.example.gw${path}`)).status).toBe(200);
      }
      expect(h.calls.map((call) => isChecked(call))).toEqual([true, true, true]);
      expect(parse).toHaveBeenCalledTimes(1);
      expect(executeRequestSchema.safeParse(h.calls[2]).success).toBe(true);
    } finally {
      parse.mockRestore();
    }
  });

  it('leaves the runner to refuse what its schema caps: a long path, many query pairs, a bad actor', async () => {
    const longPath = `/items/${'a'.repeat(9000)}`;
    const manyPairs = `/items/1?${Array.from({ length: 1001 }, (_, i) => `k${i}=v`).join('&')}`;
    const h = harness(() => ok(), { install: wellFormed });
    await h.fetch('/api/ext/com.example.gw/ping');
    await h.fetch(`/api/ext/com.example.gw${longPath}`);
    await h.fetch(`/api/ext/com.example.gw${manyPairs}`);
    const badActor = harness(() => ok(), {
      install: wellFormed,
      resolveIdentity: () => ({ tenantId: 'acme', actorId: 'user\u0000x' }),
    });
    await badActor.fetch('/api/ext/com.example.gw/items/1');
    expect(isChecked(h.calls[0])).toBe(true);
    const unchecked = [...h.calls.slice(1), ...badActor.calls];
    expect(unchecked).toHaveLength(3);
    expect(unchecked.map((call) => isChecked(call))).toEqual([false, false, false]);
    expect(unchecked.map((call) => executeRequestSchema.safeParse(call).success)).toEqual([
      false,
      false,
      false,
    ]);
  });
});
