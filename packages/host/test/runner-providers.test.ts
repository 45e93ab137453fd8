import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistryStore } from '../src/registry/memory-store';
import { createConfigProvider } from '../src/runner/providers/config';
import { createContextProvider } from '../src/runner/providers/context';
import {
  createHttpProvider,
  isNonPublicAddress,
  matchesEgress,
} from '../src/runner/providers/http';
import { createMetricsProvider } from '../src/runner/providers/metrics';
import {
  type CapabilityProvider,
  type ProviderContext,
  ProviderRegistry,
} from '../src/runner/providers/registry';
import { createSecretsProvider } from '../src/runner/providers/secrets';
import { createStorageProvider } from '../src/runner/providers/storage';
import { createUiProxyProvider } from '../src/runner/providers/ui-proxy';
import type { CallResult } from '../src/runner/worker/protocol';
import { AesGcmSealer } from '../src/secrets/aes-gcm';
import { KeyProvider } from '../src/secrets/key-provider';
import type { SecretAad, SecretEnvelope } from '../src/secrets/sealer';

function providerContext(
  overrides: Partial<ProviderContext> = {},
): ProviderContext & { egressBytes: [number, number] } {
  const egressBytes: [number, number] = [0, 0];
  return {
    invocation: {
      requestId: 'r1',
      tenantId: 't1',
      extensionId: 'com.example.ext',
      installId: 'i1',
      version: '1.0.0',
      contentHash: `sha256:${'a'.repeat(64)}`,
    },
    config: { greeting: 'hi', n: 2 },
    grants: new Set([
      'cap:context.read',
      'cap:config.read',
      'cap:secrets.get',
      'cap:http.fetch',
      'cap:storage.kv',
      'cap:metrics.emit',
    ]),
    egress: [],
    secretEnvelope: undefined,
    secretsVersion: 1,
    signal: new AbortController().signal,
    deadline: Date.now() + 5_000,
    log: () => {},
    countEgress(sent, received) {
      egressBytes[0] += sent;
      egressBytes[1] += received;
    },
    egressBytes,
    ...overrides,
  };
}

function registryWith(...providers: CapabilityProvider[]): ProviderRegistry {
  const registry = new ProviderRegistry();
  for (const provider of providers) registry.register(provider);
  return registry;
}

describe('ProviderRegistry', () => {
  it('denies by default, naming the capability, and reports the denial', async () => {
    const registry = registryWith(createContextProvider(), createConfigProvider());
    const denied: string[] = [];
    const result = await registry.call(
      'alga:extension/config',
      'get',
      ['greeting'],
      providerContext({ grants: new Set(['cap:context.read']) }),
      { denied: (capability) => denied.push(capability) },
    );
    expect(result).toEqual({
      err: { tag: 'denied', val: 'cap:config.read is not granted to this install' },
    });
    expect(denied).toEqual(['cap:config.read']);
    expect(
      await registry.call('alga:extension/config', 'get', ['greeting'], providerContext()),
    ).toEqual({ ok: '"hi"' });
    expect(await registry.call('alga:extension/nope', 'x', [], providerContext())).toMatchObject({
      err: { tag: 'invalid' },
    });
  });

  it('lets a host replace a provider and lists the interfaces it serves', async () => {
    const registry = registryWith(createConfigProvider()).register({
      capability: 'cap:config.read',
      functions: { get: () => '"replaced"', entries: () => [] },
    });
    expect(registry.interfaces()).toEqual({ 'alga:extension/config': ['get', 'entries'] });
    expect(await registry.call('alga:extension/config', 'get', ['x'], providerContext())).toEqual({
      ok: '"replaced"',
    });
  });

  it('answers a provider crash with a generic unavailable and never its message', async () => {
    const registry = registryWith({
      capability: 'cap:config.read',
      functions: {
        get: () => {
          throw new Error('db password=hunter2 leaked');
        },
      },
    });
    const failures: unknown[] = [];
    const result = await registry.call('alga:extension/config', 'get', ['x'], providerContext(), {
      failed: (_capability, error) => failures.push(error),
    });
    expect(result).toEqual({
      err: { tag: 'unavailable', val: 'the host failed to serve this call' },
    });
    expect(failures).toHaveLength(1);
  });
});

describe('secrets provider', () => {
  const keys = KeyProvider.fromEnv('K', { K: `k1:${Buffer.alloc(32, 3).toString('base64')}` });
  const real = new AesGcmSealer(keys);

  it('opens the envelope once per (tenant, install, version) and never puts values in errors', async () => {
    let opened = 0;
    const sealer = {
      open: (envelope: SecretEnvelope, aad: SecretAad) => {
        opened++;
        return real.open(envelope, aad);
      },
    };
    const registry = registryWith(createSecretsProvider({ sealer }));
    const envelope = await real.seal(
      { apiKey: 'sk-123', token: 't' },
      { tenantId: 't1', installId: 'i1', version: 1 },
    );
    const context = providerContext({ secretEnvelope: envelope });
    expect(await registry.call('alga:extension/secrets', 'get', ['apiKey'], context)).toEqual({
      ok: 'sk-123',
    });
    expect(await registry.call('alga:extension/secrets', 'listNames', [], context)).toEqual({
      ok: ['apiKey', 'token'],
    });
    expect(opened).toBe(1);
    const missing = (await registry.call(
      'alga:extension/secrets',
      'get',
      ['nope'],
      context,
    )) as Extract<CallResult, { err: unknown }>;
    expect(missing.err).toEqual({ tag: 'not-found', val: 'secret "nope" is not set' });
    const wrongVersion = await registry.call(
      'alga:extension/secrets',
      'get',
      ['apiKey'],
      providerContext({ secretEnvelope: envelope, secretsVersion: 2 }),
    );
    expect(wrongVersion).toEqual({
      err: {
        tag: 'unavailable',
        val: "the install's secrets could not be opened; save them again",
      },
    });
    expect(JSON.stringify(wrongVersion)).not.toContain('sk-123');
  });
});

describe('storage provider', () => {
  it('enforces the value-size and key-count quotas and compare-and-set revisions', async () => {
    const store = new MemoryRegistryStore();
    await store.open();
    const limits: string[] = [];
    const registry = registryWith(createStorageProvider({ store, maxValueBytes: 8, maxKeys: 2 }));
    const call = (fn: string, args: unknown[], tenantId = 't1') =>
      registry.call(
        'alga:extension/storage',
        fn,
        args,
        providerContext({ invocation: { ...providerContext().invocation, tenantId } }),
        {
          limit: (limit) => limits.push(limit),
        },
      );
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(await call('put', ['a', bytes('1'), undefined])).toEqual({ ok: 1n });
    expect(await call('put', ['a', bytes('2'), 1n])).toEqual({ ok: 2n });
    expect(await call('put', ['a', bytes('3'), 1n])).toMatchObject({ err: { tag: 'conflict' } });
    expect(await call('put', ['b', bytes('123456789'), undefined])).toMatchObject({
      err: { tag: 'limit' },
    });
    expect(await call('put', ['b', bytes('x'), undefined])).toEqual({ ok: 1n });
    expect(await call('put', ['c', bytes('x'), undefined])).toMatchObject({
      err: { tag: 'limit' },
    });
    expect(limits).toEqual(['storage-value-size', 'storage-keys']);
    expect(await call('get', ['a'])).toEqual({ ok: { key: 'a', value: bytes('2'), revision: 2n } });
    expect(await call('get', ['a'], 't2')).toEqual({ ok: undefined });
    expect(await call('listKeys', ['', undefined, 1])).toMatchObject({ ok: { keys: ['a'] } });
    expect(await call('delete', ['a', 5n])).toMatchObject({ err: { tag: 'conflict' } });
    expect(await call('delete', ['a', undefined])).toEqual({ ok: true });
    expect(await call('put', ['', bytes('x'), undefined])).toMatchObject({
      err: { tag: 'invalid' },
    });
  });
});

describe('metrics provider', () => {
  it('names guest metrics alga_ext_*, fixes their labels and caps series per extension', async () => {
    const promRegistry = new Registry();
    const registry = registryWith(
      createMetricsProvider({ registry: promRegistry, maxSeriesPerExtension: 2 }),
    );
    const call = (fn: string, args: unknown[]) =>
      registry.call('alga:extension/metrics', fn, args, providerContext());
    expect(await call('counter', ['hits', 2, [{ key: 'route', value: 'a' }]])).toEqual({
      ok: undefined,
    });
    expect(await call('counter', ['hits', 1, [{ key: 'route', value: 'b' }]])).toEqual({
      ok: undefined,
    });
    expect(await call('counter', ['hits', 1, [{ key: 'route', value: 'c' }]])).toMatchObject({
      err: { tag: 'limit' },
    });
    expect(await call('counter', ['hits', 1, [{ key: 'other', value: 'a' }]])).toMatchObject({
      err: { tag: 'invalid' },
    });
    expect(await call('histogram', ['hits', 1, []])).toMatchObject({ err: { tag: 'invalid' } });
    expect(await call('counter', ['Bad-Name', 1, []])).toMatchObject({ err: { tag: 'invalid' } });
    expect(await call('counter', ['hits', -1, [{ key: 'route', value: 'a' }]])).toMatchObject({
      err: { tag: 'invalid' },
    });
    expect(await promRegistry.metrics()).toContain(
      'alga_ext_hits{extension="com.example.ext",route="a"} 2',
    );
  });
});

describe('http provider', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') return void res.end('x'.repeat(5_000));
      if (req.url === '/hop') return void res.writeHead(302, { location: '/final' }).end();
      if (req.url === '/away')
        return void res.writeHead(302, { location: 'https://example.com/' }).end();
      res
        .writeHead(200, { 'x-seen': String(req.headers.authorization ?? 'none') })
        .end(`${req.method} ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const fetchArgs = (url: string) => [
    {
      method: 'GET',
      url,
      headers: [{ name: 'Authorization', value: 'Bearer x' }],
      body: undefined,
      timeoutMs: undefined,
    },
  ];

  it('matches egress patterns like the manifest (exact, *.domain, port) and classifies addresses', () => {
    expect(matchesEgress(['api.example.com'], new URL('https://api.example.com/x'))).toBe(true);
    expect(matchesEgress(['api.example.com'], new URL('https://api.example.com:8443/x'))).toBe(
      false,
    );
    expect(matchesEgress(['api.example.com:8443'], new URL('https://api.example.com:8443/x'))).toBe(
      true,
    );
    expect(matchesEgress(['*.example.org'], new URL('https://a.b.example.org/'))).toBe(true);
    expect(matchesEgress(['*.example.org'], new URL('https://example.org/'))).toBe(false);
    expect(matchesEgress(['*'], new URL('https://anything.test/'))).toBe(true);
    expect(matchesEgress([], new URL('https://api.example.com/'))).toBe(false);
    expect(
      ['10.1.2.3', '127.0.0.1', '169.254.169.254', '::1', 'fe80::1', '::ffff:192.168.1.1'].map(
        isNonPublicAddress,
      ),
    ).toEqual([true, true, true, true, true, true]);
    expect(['93.184.215.14', '2606:4700::1111'].map(isNonPublicAddress)).toEqual([false, false]);
  });

  it('blocks loopback after DNS unless private networks are allowed, and counts bytes', async () => {
    const egress = [`localhost:${port}`];
    const strict = registryWith(createHttpProvider({ allow: ['*'], allowHttp: true }));
    const blocked = await strict.call(
      'alga:extension/http',
      'fetch',
      fetchArgs(`http://localhost:${port}/a`),
      providerContext({ egress }),
    );
    expect(blocked).toEqual({
      err: { tag: 'denied', val: 'localhost resolves only to non-public addresses' },
    });
    const literal = await strict.call(
      'alga:extension/http',
      'fetch',
      fetchArgs(`http://127.0.0.1:${port}/a`),
      providerContext({ egress: [`127.0.0.1:${port}`] }),
    );
    expect(literal).toEqual({ err: { tag: 'denied', val: '127.0.0.1 is a non-public address' } });
    const open = registryWith(
      createHttpProvider({ allow: ['*'], allowHttp: true, allowPrivateNetworks: true }),
    );
    const context = providerContext({ egress });
    const ok = (await open.call(
      'alga:extension/http',
      'fetch',
      fetchArgs(`http://localhost:${port}/a`),
      context,
    )) as {
      ok: { status: number; body: Uint8Array; headers: Array<{ name: string; value: string }> };
    };
    expect(ok.ok.status).toBe(200);
    expect(new TextDecoder().decode(ok.ok.body)).toBe('GET /a');
    expect(ok.ok.headers).toContainEqual({ name: 'x-seen', value: 'Bearer x' });
    expect(context.egressBytes[1]).toBe(6);
    expect(context.egressBytes[0]).toBeGreaterThan(0);
  });

  it('refuses http: unless allowed, hosts off the operator list, and oversized answers', async () => {
    const egress = [`localhost:${port}`];
    const httpsOnly = registryWith(
      createHttpProvider({ allow: ['*'], allowPrivateNetworks: true }),
    );
    expect(
      await httpsOnly.call(
        'alga:extension/http',
        'fetch',
        fetchArgs(`http://localhost:${port}/a`),
        providerContext({ egress }),
      ),
    ).toEqual({
      err: { tag: 'denied', val: 'http: URLs are not allowed; use https:' },
    });
    const operator = registryWith(
      createHttpProvider({
        allow: ['api.example.com'],
        allowHttp: true,
        allowPrivateNetworks: true,
      }),
    );
    expect(
      await operator.call(
        'alga:extension/http',
        'fetch',
        fetchArgs(`http://localhost:${port}/a`),
        providerContext({ egress }),
      ),
    ).toEqual({
      err: { tag: 'denied', val: `localhost:${port} is not on the operator's egress allowlist` },
    });
    const capped = registryWith(
      createHttpProvider({
        allow: ['*'],
        allowHttp: true,
        allowPrivateNetworks: true,
        maxResponseBytes: 1_000,
      }),
    );
    expect(
      await capped.call(
        'alga:extension/http',
        'fetch',
        fetchArgs(`http://localhost:${port}/big`),
        providerContext({ egress }),
      ),
    ).toMatchObject({
      err: { tag: 'limit' },
    });
  });

  it('follows redirects, checking every hop against the allowlists', async () => {
    const egress = [`localhost:${port}`];
    const provider = registryWith(
      createHttpProvider({ allow: ['*'], allowHttp: true, allowPrivateNetworks: true }),
    );
    const followed = (await provider.call(
      'alga:extension/http',
      'fetch',
      fetchArgs(`http://localhost:${port}/hop`),
      providerContext({ egress }),
    )) as { ok: { body: Uint8Array } };
    expect(new TextDecoder().decode(followed.ok.body)).toBe('GET /final');
    expect(
      await provider.call(
        'alga:extension/http',
        'fetch',
        fetchArgs(`http://localhost:${port}/away`),
        providerContext({ egress }),
      ),
    ).toEqual({
      err: { tag: 'denied', val: "example.com is not on this install's egress allowlist" },
    });
  });
});

describe('ui-proxy provider', () => {
  it('calls the host over HTTP with the auth key and invocation ids, mapping 404 to not-found', async () => {
    const seen: Array<{ url: string | undefined; key: unknown; tenant: unknown; body: string }> =
      [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          url: req.url,
          key: req.headers['x-alga-ui-proxy-key'],
          tenant: req.headers['x-alga-tenant-id'],
          body: Buffer.concat(chunks).toString(),
        });
        if (req.url === '/routes/missing') return void res.writeHead(404).end();
        res.end('answer');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/routes/`;
    const registry = registryWith(createUiProxyProvider({ baseUrl, authKey: 'proxy-key' }));
    const context = providerContext({ grants: new Set(['cap:ui_proxy']) });
    const payload = new TextEncoder().encode('{"q":1}');
    expect(
      await registry.call('alga:extension/ui-proxy', 'call', ['tickets.list', payload], context),
    ).toEqual({
      ok: new TextEncoder().encode('answer'),
    });
    expect(seen[0]).toEqual({
      url: '/routes/tickets.list',
      key: 'proxy-key',
      tenant: 't1',
      body: '{"q":1}',
    });
    expect(
      await registry.call('alga:extension/ui-proxy', 'call', ['missing', payload], context),
    ).toEqual({
      err: { tag: 'not-found', val: 'no UI proxy route named missing' },
    });
    expect(
      await registry.call('alga:extension/ui-proxy', 'call', ['../admin', payload], context),
    ).toMatchObject({
      err: { tag: 'invalid' },
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
