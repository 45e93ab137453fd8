import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../src/bundle/keys';
import { packBundle } from '../src/bundle/pack';
import { readBundle } from '../src/bundle/read';
import { signBundle } from '../src/bundle/signature';
import type { DebugEvent } from '../src/observability/debug-stream';
import type { RunnerLogger } from '../src/observability/logger';
import { MemoryRegistryStore } from '../src/registry/memory-store';
import type { ExecuteResponse, Runner, RunnerLimitOverrides } from '../src/runner/types';
import { AesGcmSealer } from '../src/secrets/aes-gcm';
import { KeyProvider } from '../src/secrets/key-provider';
import type { SecretSealer } from '../src/secrets/sealer';
import {
  bodyJson,
  bodyText,
  createFixtureWorld,
  type FixtureBundle,
  type FixtureWorld,
  requestFor,
} from './helpers/runner-fixtures';

/** What a mode's factory gets: the real dependencies the suite set up. */
export interface RunnerHarnessOptions {
  readonly world: FixtureWorld;
  readonly logger: RunnerLogger;
  readonly sealer: SecretSealer;
  readonly storage: MemoryRegistryStore;
  /** Loopback test server the egress tests call (the operator allows it explicitly). */
  readonly egressAllow: readonly string[];
  readonly uiProxyRoutes: Record<string, (payload: Uint8Array) => Uint8Array | string>;
}

/** A runner under test plus the live guest output it produced, where the mode exposes it. */
export interface RunnerHarness {
  readonly runner: Runner;
  /** Guest debug events seen so far (empty for modes without a local debug stream). */
  debugEvents(): readonly DebugEvent[];
  /** The Prometheus exposition of the runner's metrics, where the mode exposes it. */
  metricsText?(): Promise<string>;
  close(): Promise<void>;
}

const ALL_GRANTS = [
  'cap:context.read',
  'cap:log.emit',
  'cap:config.read',
  'cap:secrets.get',
  'cap:http.fetch',
  'cap:storage.kv',
  'cap:metrics.emit',
  'cap:ui_proxy',
] as const;

const SECRET = 'sk-live-9f8e7d6c5b4a-never-log-me';

function errorCode(response: ExecuteResponse): string | undefined {
  return response.error?.code;
}

/**
 * The runner contract: every isolation mode (worker, process, remote) must pass it with real
 * components built by `alga build`. `create` builds a runner from the suite's dependencies.
 */
export function runnerContract(
  mode: string,
  create: (options: RunnerHarnessOptions) => Promise<RunnerHarness>,
): void {
  describe(`runner contract: ${mode}`, () => {
    let world: FixtureWorld;
    let harness: RunnerHarness;
    let runner: Runner;
    let kitchen: FixtureBundle;
    let server: Server;
    let serverUrl: string;
    const logLines: string[] = [];
    const sealer = new AesGcmSealer(
      KeyProvider.fromEnv('KEYS', { KEYS: `test:${Buffer.alloc(32, 7).toString('base64')}` }),
    );

    beforeAll(async () => {
      world = await createFixtureWorld();
      kitchen = await world.bundle('kitchen');
      server = createServer((req, res) => {
        if (req.url === '/redirect-private') {
          res.writeHead(302, { location: 'http://10.255.255.1/' }).end();
          return;
        }
        if (req.url === '/echo-request') {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'echo' }).end(
              JSON.stringify({
                method: req.method,
                contentType: req.headers['content-type'],
                trace: req.headers['x-trace'],
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
          });
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(`upstream saw ${req.method} ${req.url}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      });
      const logger = pino({ level: 'debug' }, sink);
      const storage = new MemoryRegistryStore();
      await storage.open();
      harness = await create({
        world,
        logger,
        sealer,
        storage,
        egressAllow: [`127.0.0.1:${(server.address() as AddressInfo).port}`],
        uiProxyRoutes: {
          echo: (payload) =>
            new TextEncoder().encode(JSON.stringify({ got: new TextDecoder().decode(payload) })),
        },
      });
      runner = harness.runner;
      await runner.warm(kitchen.contentHash);
    });

    afterAll(async () => {
      await harness?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    const run = (path: string, overrides: Parameters<typeof requestFor>[2] = {}) =>
      runner.execute(requestFor(kitchen, path, overrides));

    it('runs a handler and hands it the request and the invocation context', async () => {
      const response = await run('/echo?x=1', {
        http: {
          method: 'POST',
          body: new TextEncoder().encode('ping'),
          headers: [['x-test', 'yes']],
        },
        context: { requestId: 'req-echo' },
      });
      expect(response.error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(bodyJson(response)).toEqual({
        method: 'POST',
        path: '/echo',
        query: '1',
        body: 'ping',
        header: 'yes',
        context: {
          requestId: 'req-echo',
          tenantId: 'tenant-a',
          extensionId: kitchen.extensionId,
          installId: 'install-a',
          version: kitchen.version,
          contentHash: kitchen.contentHash,
        },
      });
    });

    it('denies a capability the install was not granted (403 CAPABILITY_DENIED), and lets the guest catch it', async () => {
      const uncaught = await run('/secret', { grants: ['cap:context.read'] });
      expect(uncaught.status).toBe(403);
      expect(bodyText(uncaught)).toContain('CAPABILITY_DENIED');
      const caught = await run('/secret-caught', { grants: ['cap:context.read'] });
      expect(caught.status).toBe(200);
      expect(bodyJson(caught)).toEqual({ caught: 'CAPABILITY_DENIED' });
    });

    it('serves config when granted and denies it otherwise', async () => {
      const config = { greeting: 'Hello', limit: 10 };
      const granted = await run('/config', { grants: [...ALL_GRANTS], config });
      expect(bodyJson(granted)).toEqual({ greeting: 'Hello', all: config });
      expect((await run('/config', { config })).status).toBe(403);
    });

    it('opens sealed secrets when granted, denies them otherwise, and never logs them', async () => {
      const aad = { tenantId: 'tenant-a', installId: 'install-a', version: 3 };
      const secretEnvelope = await sealer.seal({ apiKey: SECRET, other: 'x' }, aad);
      const granted = await run('/secret', {
        grants: [...ALL_GRANTS],
        secretEnvelope,
        secretsVersion: 3,
      });
      expect(granted.status).toBe(200);
      expect(bodyJson(granted)).toEqual({ value: SECRET, names: ['apiKey', 'other'] });
      const denied = await run('/secret', { secretEnvelope, secretsVersion: 3 });
      expect(denied.status).toBe(403);
      const wrongVersion = await run('/secret', {
        grants: [...ALL_GRANTS],
        secretEnvelope,
        secretsVersion: 4,
      });
      expect(wrongVersion.status).toBe(503);
      expect(bodyText(wrongVersion)).not.toContain(SECRET);
      expect(logLines.join('')).not.toContain(SECRET);
      expect(JSON.stringify(harness.debugEvents())).not.toContain(SECRET);
    });

    it('fetches from an allowed host and refuses hosts off either allowlist', async () => {
      const egress = [`127.0.0.1:${new URL(serverUrl).port}`];
      const ok = await run(`/fetch?url=${encodeURIComponent(`${serverUrl}/hello`)}`, {
        grants: [...ALL_GRANTS],
        egress,
      });
      expect(bodyJson(ok)).toEqual({ status: 200, body: 'upstream saw GET /hello' });
      const offInstallList = await run(`/fetch?url=${encodeURIComponent(`${serverUrl}/hello`)}`, {
        grants: [...ALL_GRANTS],
        egress: ['api.example.com'],
      });
      expect(offInstallList.status).toBe(403);
      expect(bodyText(offInstallList)).toContain("not on this install's egress allowlist");
      const redirected = await run(
        `/fetch?url=${encodeURIComponent(`${serverUrl}/redirect-private`)}`,
        {
          grants: [...ALL_GRANTS],
          egress: [...egress, '10.255.255.1'],
        },
      );
      expect(redirected.status).toBe(403);
      expect(bodyText(redirected)).toContain('10.255.255.1');
      const notGranted = await run(`/fetch?url=${encodeURIComponent(`${serverUrl}/hello`)}`, {
        egress,
      });
      expect(notGranted.status).toBe(403);
    });

    it('gives the guest a standard global fetch that goes through the same checks', async () => {
      const egress = [`127.0.0.1:${new URL(serverUrl).port}`];
      const ok = await run(`/global-fetch?url=${encodeURIComponent(`${serverUrl}/echo-request`)}`, {
        grants: [...ALL_GRANTS],
        egress,
      });
      expect(ok.status).toBe(200);
      expect(bodyJson(ok)).toEqual({
        status: 201,
        upstream: 'echo',
        body: {
          method: 'POST',
          contentType: 'application/json',
          trace: 'kitchen',
          body: '{"hello":"upstream"}',
        },
      });
      const offInstallList = await run(
        `/global-fetch?url=${encodeURIComponent(`${serverUrl}/echo-request`)}`,
        { grants: [...ALL_GRANTS], egress: ['api.example.com'] },
      );
      expect(offInstallList.status).toBe(403);
      expect(bodyText(offInstallList)).toContain("not on this install's egress allowlist");
      const notGranted = await run(
        `/global-fetch?url=${encodeURIComponent(`${serverUrl}/echo-request`)}`,
        { egress },
      );
      expect(notGranted.status).toBe(403);
    });

    it('stores values per (tenant, extension) with revisions, and denies storage when not granted', async () => {
      const put = await run('/storage?key=greeting', {
        grants: [...ALL_GRANTS],
        http: { method: 'PUT', body: new TextEncoder().encode('hi') },
      });
      expect(bodyJson(put)).toEqual({ revision: 1 });
      const read = await run('/storage?key=greeting', { grants: [...ALL_GRANTS] });
      expect(bodyJson(read)).toEqual({ value: 'hi', revision: 1 });
      const otherTenant = await run('/storage?key=greeting', {
        grants: [...ALL_GRANTS],
        context: { tenantId: 'tenant-b', installId: 'install-b' },
      });
      expect(bodyJson(otherTenant)).toBeNull();
      expect((await run('/storage?key=greeting')).status).toBe(403);
    });

    it('captures guest logs, stdout and stderr as debug events, never on the host stdout', async () => {
      const response = await run('/log', { context: { requestId: 'req-log' } });
      expect(bodyText(response)).toBe('logged');
      const events = harness.debugEvents().filter((event) => event.requestId === 'req-log');
      if (events.length > 0) {
        expect(events.map((event) => [event.stream, event.message])).toEqual(
          expect.arrayContaining([
            ['log', 'guest log line'],
            ['stdout', 'guest stdout line'],
            ['stderr', 'guest stderr line'],
          ]),
        );
      }
      expect(logLines.join('')).toContain('guest stdout line');
    });

    it('emits metrics and calls UI proxy routes when granted, denies them otherwise', async () => {
      const series = `alga_ext_fixture_hits{extension="${kitchen.extensionId}",route="metric"}`;
      expect(bodyText(await run('/metric', { grants: [...ALL_GRANTS] }))).toBe('counted');
      // Metrics are fire-and-forget in the guest: a denied one is dropped, not an error.
      expect(bodyText(await run('/metric'))).toBe('counted');
      if (harness.metricsText !== undefined) {
        expect((await harness.metricsText()).split('\n')).toContain(`${series} 1`);
      }
      const proxied = await run('/proxy?route=echo', { grants: [...ALL_GRANTS] });
      expect(bodyJson(proxied)).toEqual({ got: '{"hello":"host"}' });
      expect((await run('/proxy?route=echo')).status).toBe(403);
    });

    it('gives the guest working clocks and random numbers', async () => {
      const before = Date.now();
      type Wasi = { now: number; random: number; spinMs: number };
      const first = bodyJson(await run('/wasi')) as Wasi;
      const second = bodyJson(await run('/wasi')) as Wasi;
      expect(first.now).toBeGreaterThanOrEqual(before - 1_000);
      expect(first.now).toBeLessThanOrEqual(Date.now() + 1_000);
      expect(first.random).not.toBe(second.random);
      for (const { spinMs } of [first, second]) {
        expect(spinMs).toBeGreaterThanOrEqual(19);
        expect(spinMs).toBeLessThan(1_000);
      }
    });

    it('lets only allowlisted response headers out, never set-cookie', async () => {
      const response = await run('/headers');
      const names = response.headers.map(([name]) => name);
      expect(names).toContain('x-ext-trace');
      expect(names).toContain('content-type');
      expect(names).not.toContain('set-cookie');
      expect(names).not.toContain('x-powered-by');
    });

    it('stops a looping handler within 50 ms of its deadline and keeps serving', async () => {
      // Warm: the install's instance (or fresh spare) is ready, so the deadline is all that is measured.
      await run('/echo');
      await run('/echo');
      await new Promise((resolve) => setTimeout(resolve, 150));
      const timeoutMs = 400;
      const started = performance.now();
      const response = await run('/loop', { limits: { timeoutMs } });
      const elapsed = performance.now() - started;
      expect(response.status).toBe(504);
      expect(errorCode(response)).toBe('TIMEOUT');
      expect(['timeout', undefined]).toContain(response.error?.limit);
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs);
      expect(elapsed - timeoutMs).toBeLessThan(50);
      const after = await run('/echo');
      expect(after.status).toBe(200);
      expect(runner.stats().pool.replaced).toBeGreaterThanOrEqual(1);
    });

    it('traps a memory bomb at the memory cap', async () => {
      const limits: RunnerLimitOverrides = { memoryBytes: 48 * 1_048_576, timeoutMs: 10_000 };
      const response = await run('/memory', { limits });
      expect(response.status).toBe(500);
      expect(errorCode(response)).toBe('MEMORY_LIMIT');
      expect(response.error?.message).toContain(String(48 * 1_048_576));
      expect((await run('/echo', { limits })).status).toBe(200);
    });

    it("gives the guest the web globals the runtime README lists, and none of Node's", async () => {
      const web = [
        'fetch',
        'Request',
        'Response',
        'Headers',
        'URL',
        'URLSearchParams',
        'TextEncoder',
        'TextDecoder',
        'Blob',
        'FormData',
        'AbortController',
        'structuredClone',
        'atob',
        'btoa',
        'setTimeout',
        'setInterval',
        'queueMicrotask',
        'performance',
        'console',
        'crypto',
      ];
      const absent = ['Intl', 'process', 'require', 'WebSocket'];
      const response = await run(`/globals?names=${[...web, ...absent].join(',')}`);
      expect(response.status).toBe(200);
      expect(bodyJson(response)).toEqual({
        present: web,
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        uuid: true,
        ticks: 3,
      });
    });

    it('says so when the handler returns a promise nothing will ever settle, and keeps serving', async () => {
      const response = await run('/never-settles', { limits: { timeoutMs: 5_000 } });
      expect(response.status).toBe(500);
      expect(errorCode(response)).toBe('TRAP');
      expect(response.error?.message).toMatch(/^the handler's promise never settled: /);
      expect((await run('/echo')).status).toBe(200);
    });

    it('refuses a response over the cap (413) and a request over the cap (413)', async () => {
      const tooBig = await run('/big?bytes=200000', { limits: { maxResponseBytes: 100_000 } });
      expect(tooBig.status).toBe(413);
      expect(errorCode(tooBig)).toBe('RESPONSE_TOO_LARGE');
      const request = await run('/echo', {
        limits: { maxRequestBytes: 10 },
        http: { method: 'POST', body: new Uint8Array(11) },
      });
      expect(request.status).toBe(413);
      expect(errorCode(request)).toBe('REQUEST_TOO_LARGE');
    });

    it('rejects with 429 CONCURRENCY_LIMIT when a tenant is at its cap and its queue is full', async () => {
      const limits: RunnerLimitOverrides = { maxConcurrencyPerTenant: 1, maxQueuedPerKey: 0 };
      const context = { tenantId: 'tenant-busy', installId: 'install-busy' };
      const slow = run('/spin?ms=400', { limits, context });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const rejected = await run('/echo', { limits, context });
      expect(rejected.status).toBe(429);
      expect(errorCode(rejected)).toBe('CONCURRENCY_LIMIT');
      expect((await slow).status).toBe(200);
    });

    it('never shares instance state between installs; reuse keeps state within one install', async () => {
      const reuse = { instancePolicy: 'reuse' as const };
      const a1 = bodyJson(
        await run('/calls', { ...reuse, context: { installId: 'install-state-a' } }),
      );
      const a2 = bodyJson(
        await run('/calls', { ...reuse, context: { installId: 'install-state-a' } }),
      );
      const b1 = bodyJson(
        await run('/calls', { ...reuse, context: { installId: 'install-state-b' } }),
      );
      expect(b1).toEqual({ calls: 1 });
      expect((a2 as { calls: number }).calls).toBeGreaterThan((a1 as { calls: number }).calls);
      // The first fresh instance evaluates the glue on its own; later ones share one evaluation.
      const fresh: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        fresh.push(bodyJson(await run('/calls', { context: { installId: 'install-state-c' } })));
      }
      expect(fresh).toEqual([{ calls: 1 }, { calls: 1 }, { calls: 1 }]);
    });

    it('refuses to run a bundle that is missing, unsigned or signed by an untrusted key (502)', async () => {
      const missing = await runner.execute(
        requestFor({ ...kitchen, contentHash: `sha256:${'0'.repeat(64)}` }, '/echo'),
      );
      expect(missing.status).toBe(502);
      expect(errorCode(missing)).toBe('NOT_FOUND');
      const files = new Map((await readBundle(kitchen.bytes)).files);
      files.set('extra.txt', new TextEncoder().encode('changes the content hash'));
      const altered = await packBundle(files);
      const unsignedHash = await world.storeWith(altered.bytes, undefined);
      const unsigned = await runner.execute(
        requestFor({ ...kitchen, contentHash: unsignedHash }, '/echo'),
      );
      expect(unsigned.status).toBe(502);
      expect(errorCode(unsigned)).toBe('INTEGRITY');
      const stranger = await generateSigningKey();
      await world.storeWith(altered.bytes, await signBundle(altered.bytes, stranger));
      const untrusted = await runner.execute(
        requestFor({ ...kitchen, contentHash: unsignedHash }, '/echo'),
      );
      expect(untrusted.status).toBe(502);
      expect(errorCode(untrusted)).toBe('INTEGRITY');
    });
  });
}
