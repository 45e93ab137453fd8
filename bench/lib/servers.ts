import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateSigningKey, signBundle } from '@alga/host';
import { firstMessage, spawnScript } from './child';
import { buildFixture, type FixtureName, PUBLISHER, packFixture } from './fixtures';

/** A server under load in its own process, so the load generator never shares its event loop. */
export interface BenchServer {
  readonly name: string;
  readonly url: string;
  /** Request paths of the workloads. */
  readonly paths: Readonly<Record<'noop' | 'json', string>>;
  /** Headers every request needs (credentials). */
  readonly headers: Readonly<Record<string, string>>;
  readonly child: ChildProcess;
  close(): Promise<void>;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Starts `bench/lib/<script>` in a child that reports `{type: 'ready', url, paths}` over IPC. */
export async function startChildServer(
  name: string,
  script: string,
  args: readonly string[] = [],
): Promise<BenchServer> {
  const child = spawnScript(script, args);
  const message = (await firstMessage(child, script)) as {
    url: string;
    paths: BenchServer['paths'];
  };
  return {
    name,
    url: message.url,
    paths: message.paths,
    headers: {},
    child,
    async close() {
      const exited = once(child, 'exit');
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

/** Polls `url` until it answers 200 (or `timeoutMs` passes). */
export async function waitForOk(url: string, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The `alga` command of the workspace (`@alga/cli`'s bin). */
export function algaBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@alga/cli/package.json')), 'bin', 'alga.js');
}

/** Options of {@link startAlgaServe}. */
export interface AlgaServeOptions {
  /** Fixtures published and installed for tenant `bench`. */
  readonly fixtures: readonly FixtureName[];
  /** Reuse this data folder (a restart); default a new one. */
  readonly dataDir?: string;
  /** Keep the data folder on close (to start again on it). */
  readonly keepData?: boolean;
  /** Extra `alga serve` flags. */
  readonly flags?: readonly string[];
  /** The server's name in tables (default `alga serve`). */
  readonly name?: string;
  /** Node flags for the server process (e.g. `--cpu-prof` to profile it under load). */
  readonly nodeFlags?: readonly string[];
}

/** Admin calls against a running `alga serve`. */
export interface AlgaAdmin {
  readonly url: string;
  readonly adminToken: string;
  call(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Publishes a fixture (at `version`) through the admin API; returns its content hash. */
  publish(
    name: FixtureName,
    version?: string,
  ): Promise<{ extensionId: string; contentHash: string }>;
}

/**
 * Runs the real `alga serve` (the `alga` binary, embedded host defaults: SQLite registry,
 * filesystem bundles, worker runner) in a child process, and publishes and installs fixtures
 * through its admin API as an operator would. Its pino logs go to /dev/null.
 */
export async function startAlgaServe(
  options: AlgaServeOptions,
): Promise<BenchServer & { admin: AlgaAdmin; dataDir: string; startMs: number }> {
  const restart = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'alga-bench-serve-')));
  const trustPath = join(dataDir, 'bench-trust.json');
  // A restart keeps the trust file: the bundles stored under the data folder were signed for it.
  const signingKey = restart ? undefined : await generateSigningKey();
  if (signingKey !== undefined) {
    await writeFile(
      trustPath,
      JSON.stringify({
        keys: [
          {
            kid: signingKey.keyId,
            publicKey: signingKey.publicKeyDocument().publicKey,
            publisher: PUBLISHER,
          },
        ],
      }),
    );
  }
  const port = await freePort();
  const adminToken = `bench-admin-token-${crypto.randomUUID()}`;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      algaBin(),
      'serve',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--trust',
      trustPath,
      '--admin-token',
      adminToken,
      // Rate limits stay on (their cost is part of the path) but far above any bench's rate.
      '--rate-limit-tenant',
      '999999999/1',
      '--rate-limit-extension',
      '999999999/1',
      ...(options.flags ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForOk(`${url}/healthz`),
    once(child, 'exit').then(([code]) => {
      throw new Error(`alga serve exited with ${String(code)} before it answered /healthz`);
    }),
  ]);
  const startMs = performance.now() - started;
  const call: AlgaAdmin['call'] = async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined
        ? {}
        : { body: body instanceof FormData ? body : JSON.stringify(body) }),
    });
    const answer = (await response.json()) as unknown;
    if (!response.ok) {
      throw new Error(`alga serve ${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    }
    return answer;
  };
  const admin: AlgaAdmin = {
    url,
    adminToken,
    call,
    async publish(name, version) {
      if (signingKey === undefined) throw new Error('a restarted bench host does not publish');
      const fixture = await buildFixture(name);
      const packed = await packFixture(fixture, version);
      const form = new FormData();
      form.set('bundle', new Blob([packed.bytes as Uint8Array<ArrayBuffer>]), 'bundle.algabundle');
      form.set('signature', JSON.stringify(await signBundle(packed.bytes, signingKey)));
      const response = await fetch(`${url}/api/v1/extensions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
        body: form,
      });
      const answer = (await response.json()) as { contentHash?: string };
      if (!response.ok || answer.contentHash === undefined) {
        throw new Error(`publish ${name}: ${response.status} ${JSON.stringify(answer)}`);
      }
      return { extensionId: fixture.extensionId, contentHash: answer.contentHash };
    },
  };
  const keyFile = join(dataDir, 'bench-api-key');
  if (!restart) {
    const created = (await call('POST', '/api/v1/tenants', { tenant: 'bench' })) as {
      apiKey: string;
    };
    await writeFile(keyFile, created.apiKey);
  }
  const apiKey = await readFile(keyFile, 'utf8');
  const paths = { noop: '', json: '' };
  for (const name of options.fixtures) {
    const fixture = await buildFixture(name);
    if (!restart) {
      await admin.publish(name);
      await call('POST', '/api/v1/extensions/install', {
        tenant: 'bench',
        extensionId: fixture.extensionId,
      });
    }
    if (name === 'noop') paths.noop = `/api/ext/${fixture.extensionId}/noop`;
    if (name === 'json') paths.json = `/api/ext/${fixture.extensionId}/echo`;
  }
  return {
    name: options.name ?? 'alga serve',
    url,
    paths,
    headers: { authorization: `Bearer ${apiKey}` },
    child,
    admin,
    dataDir,
    startMs,
    async close() {
      await stop(child, 'SIGTERM');
      if (!restart && options.keepData !== true)
        await rm(dataDir, { recursive: true, force: true });
    },
  };
}
