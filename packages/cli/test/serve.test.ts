import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningKey, packBundle, readBundle } from '@alga/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtension } from '../src/build/index';
import { followLogs, type GuestLogEvent } from '../src/commands/logs';
import { packToFile } from '../src/commands/pack';
import { signFile } from '../src/commands/sign';
import { cli } from './run-cli';

const ALGA = fileURLToPath(new URL('../bin/alga.js', import.meta.url));
const FIXTURE = fileURLToPath(
  new URL('../../host/test/fixtures/gateway-statuses/', import.meta.url),
);
const EXT = 'com.alga.gateway-statuses';
const SECRET = 'sk-serve-test-never-print-me';
// The real binary runs the TypeScript sources through tsx: seconds per start on a busy machine.
const SPAWN_TIMEOUT = 90_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the real `alga` binary; `output` holds what it printed so far, while it runs. */
function startAlga(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [ALGA, ...args], {
    env: { ...process.env, ALGA_ADMIN_TOKEN: '', ALGA_HOST_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  return { child, output };
}

/** Runs the real `alga` binary to completion. */
function alga(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { child, output } = startAlga(args, env);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
}

/** A running `alga serve` and everything it printed so far. */
interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminToken: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code once it drained and stopped. */
  stop(): Promise<number | null>;
}

/** Starts `alga serve` and waits for its banner (and, when generated, its admin token). */
function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ALGA, 'serve', ...args], {
      env: { ...process.env, ALGA_ADMIN_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /alga serve: listening on (http:\/\/\S+)/.exec(out)?.[1];
      const token = /admin token \(generated[^)]*\): (\S+)/.exec(out)?.[1] ?? env.ALGA_ADMIN_TOKEN;
      if (url !== undefined && token !== undefined && token !== '') {
        resolve({
          child,
          url,
          adminToken: token,
          output: () => out,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`alga serve exited ${code}:\n${out}`)));
  });
}

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A GET sent byte for byte: fetch would normalise dot segments and backslashes away. */
function raw(base: string, target: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: target }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('alga serve, publish and install, end to end over loopback', () => {
  let dir: string;
  let served: Served;
  let bundlePath: string;
  let variantPath: string;
  let variantHash: string;
  let trustPath: string;
  const keys: Record<string, string> = {};

  const admin = (path: string, body?: unknown) =>
    fetch(`${served.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${served.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const call = (tenant: string, path: string, init: RequestInit = {}) =>
    fetch(`${served.url}/api/ext/${EXT}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${keys[tenant]}`,
        ...(init.headers as Record<string, string>),
      },
    });
  const code = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;
  const target = () => ['--host', served.url, '--token', served.adminToken];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alga-serve-'));
    const key = await generateSigningKey();
    const keyPath = join(dir, 'signer.key');
    await writeFile(keyPath, key.toPkcs8Pem(), { mode: 0o600 });
    trustPath = join(dir, 'trust.json');
    await writeFile(
      trustPath,
      JSON.stringify({
        keys: [{ ...key.publicKeyDocument('alga-tests'), publisher: 'alga-tests' }],
      }),
    );
    await buildExtension({ dir: FIXTURE });
    bundlePath = (await packToFile(FIXTURE, { out: join(dir, 'statuses.algabundle') })).path;
    await signFile(bundlePath, keyPath);
    // The same extension as version 1.0.1: another content hash, to spoil on disk later.
    const files = new Map((await readBundle(new Uint8Array(await readFile(bundlePath)))).files);
    const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json')));
    files.set(
      'manifest.json',
      new TextEncoder().encode(JSON.stringify({ ...manifest, version: '1.0.1' })),
    );
    const variant = await packBundle(files);
    variantHash = variant.contentHash;
    variantPath = join(dir, 'statuses-1.0.1.algabundle');
    await writeFile(variantPath, variant.bytes);
    await signFile(variantPath, keyPath);

    served = await serve([
      '--data',
      join(dir, 'data'),
      '--port',
      '0',
      '--trust',
      trustPath,
      '--gateway-timeout-ms',
      '3000',
      '--max-request-bytes',
      '65536',
      '--rate-limit-tenant',
      '20/60',
    ]);
  }, 300_000);

  afterAll(async () => {
    if (served !== undefined && served.child.exitCode === null) await served.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its URL and a generated admin token, and answers /healthz', async () => {
    expect(served.adminToken).toMatch(/^alga_at_[A-Za-z0-9_-]{43}$/);
    expect(await (await fetch(`${served.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it(
    'alga publish uploads signed bundles; a wrong token is refused',
    async () => {
      const refused = await alga([
        'publish',
        bundlePath,
        '--host',
        served.url,
        '--token',
        'wrong-token-0123456789',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('answered 401 UNAUTHENTICATED');
      const published = await alga(['publish', bundlePath, ...target()]);
      expect(published.stderr).toBe('');
      expect(published.code).toBe(0);
      expect(published.stdout).toMatch(
        new RegExp(`^published ${EXT}@1\\.0\\.0 sha256:[0-9a-f]{64}\\n$`),
      );
      expect((await alga(['publish', variantPath, ...target()])).code).toBe(0);
      const again = await alga(['publish', bundlePath, ...target()]);
      expect(again.stdout).toMatch(/^already published /);
    },
    SPAWN_TIMEOUT * 2,
  );

  it(
    'alga install installs for a tenant with grants, config and a secret from the environment',
    async () => {
      for (const tenant of ['acme', 'flood', 'tamper']) {
        const created = await admin('/api/v1/tenants', { tenant });
        keys[tenant] = ((await created.json()) as { apiKey: string }).apiKey;
      }
      const installed = await alga(
        [
          'install',
          `${EXT}@1.0.0`,
          '--tenant',
          'acme',
          '--grant',
          'cap:context.read',
          '--grant',
          'cap:log.emit',
          '--grant',
          'cap:config.read',
          '--config',
          'greeting=Hola',
          '--secret-env',
          'apiKey=TEST_API_KEY',
          ...target(),
        ],
        { TEST_API_KEY: SECRET },
      );
      expect(installed.stderr).toBe('');
      expect(installed.code).toBe(0);
      expect(installed.stdout).toContain(`installed ${EXT}@1.0.0 for acme`);
      expect(installed.stdout).toContain('grants: cap:context.read, cap:log.emit, cap:config.read');
      expect(installed.stdout).toContain(`ui: ${served.url}/ext-ui/${EXT}/sha256:`);
      expect(installed.stdout).not.toContain(SECRET);
      const flood = await alga(['install', `${EXT}@1.0.0`, '--tenant', 'flood', ...target()]);
      expect(flood.code).toBe(0);
      const tamper = await alga(['install', `${EXT}@1.0.1`, '--tenant', 'tamper', ...target()]);
      expect(tamper.code).toBe(0);
      const missing = await alga([
        'install',
        'com.example.absent',
        '--tenant',
        'acme',
        ...target(),
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('answered 404 NOT_FOUND');
    },
    SPAWN_TIMEOUT * 4,
  );

  it(
    'alga upgrade moves an install to another version and back; alga uninstall removes it',
    async () => {
      const created = await admin('/api/v1/tenants', { tenant: 'move' });
      keys.move = ((await created.json()) as { apiKey: string }).apiKey;
      expect((await alga(['install', `${EXT}@1.0.0`, '--tenant', 'move', ...target()])).code).toBe(
        0,
      );
      const up = await alga(['upgrade', EXT, '--tenant', 'move', ...target()]);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(new RegExp(`^${EXT} for move is now at 1\\.0\\.1 \\(install `));
      expect(up.stdout).toContain(`ui: ${served.url}/ext-ui/${EXT}/${variantHash}/`);
      const listed = await alga(['installs', '--tenant', 'move', ...target()]);
      expect(listed.stderr).toBe('');
      expect(listed.stdout).toMatch(
        new RegExp(`^${EXT}@1\\.0\\.1 \\(install [^)]+\\)\\n  grants: .+\\n  ui: `),
      );
      // --json passes the host's answer through, fields the text form leaves out included.
      const listedJson = await alga(['installs', '--tenant', 'move', '--json', ...target()]);
      expect(JSON.parse(listedJson.stdout)).toEqual([
        expect.objectContaining({
          extensionId: EXT,
          version: '1.0.1',
          contentHash: variantHash,
          enabled: true,
          egress: expect.any(Array),
        }),
      ]);
      const down = await alga(['upgrade', `${EXT}@1.0.0`, '--tenant', 'move', ...target()]);
      expect(down.stdout).toContain(`${EXT} for move is now at 1.0.0`);
      expect((await call('move', '/items/5')).status).toBe(200);
      const removed = await alga(['uninstall', EXT, '--tenant', 'move', ...target()]);
      expect(removed.stderr).toBe('');
      expect(removed.stdout).toBe(`uninstalled ${EXT} for move\n`);
      const gone = await call('move', '/items/5');
      expect([gone.status, await code(gone)]).toEqual([404, 'NOT_INSTALLED']);
      const again = await alga(['uninstall', EXT, '--tenant', 'move', ...target()]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('answered 404 NOT_INSTALLED');
      const none = await alga(['installs', '--tenant', 'move', ...target()]);
      expect(none.stdout).toBe('no installs for move\n');
    },
    SPAWN_TIMEOUT * 7,
  );

  it(
    'alga versions lists the catalog; alga yank takes a version out of it for new installs',
    async () => {
      const yanked = await alga(['yank', `${EXT}@1.0.1`, ...target()]);
      expect(yanked.stderr).toBe('');
      expect(yanked.stdout).toBe(
        `yanked ${EXT}@1.0.1 ${variantHash}: its installs keep running; no new install or upgrade may take it\n`,
      );
      const listed = await alga(['versions', EXT, ...target()]);
      expect(listed.stdout).toMatch(
        new RegExp(
          `^${EXT} \\(publisher [^)]+\\)\\n  1\\.0\\.0  active  sha256:[0-9a-f]{64}  \\S+\\n  1\\.0\\.1  yanked  ${variantHash}  \\S+\\n$`,
        ),
      );
      const json = JSON.parse((await alga(['versions', '--json', ...target()])).stdout);
      expect(json).toEqual([
        {
          id: EXT,
          publisher: expect.any(String),
          versions: [
            expect.objectContaining({ version: '1.0.0', state: 'active' }),
            expect.objectContaining({
              version: '1.0.1',
              state: 'yanked',
              contentHash: variantHash,
            }),
          ],
        },
      ]);
      // The install on the yanked version keeps serving; a new one may not take it.
      expect((await call('tamper', '/items/3')).status).toBe(200);
      const refused = await alga(['install', `${EXT}@1.0.1`, '--tenant', 'move', ...target()]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('answered 409 CONFLICT/VERSION_UNAVAILABLE');
      const unnamed = await alga(['yank', EXT, ...target()]);
      expect([unnamed.code, unnamed.stderr]).toEqual([
        1,
        `alga: alga yank: name the version, as ${EXT}@<version> [USAGE]\n`,
      ]);
      const absent = await alga(['versions', 'com.example.absent', ...target()]);
      expect(absent.code).toBe(1);
      expect(absent.stderr).toContain(
        `${served.url} has no published extension com.example.absent`,
      );
    },
    SPAWN_TIMEOUT * 7,
  );

  it(
    'alga tenants, settings, disable/enable and audit manage a tenant and its install',
    async () => {
      const created = await cli(['tenants', 'create', 'ops', ...target()]);
      expect(created.code).toBe(0);
      // The key alone on stdout, so $(alga tenants create ops) captures it.
      expect(created.stdout).toMatch(/^alga_tk_[A-Za-z0-9_-]{43}\n$/);
      expect(created.stderr).toBe(
        'created tenant ops: its API key is shown this once (the host keeps only its hash)\n',
      );
      keys.ops = created.stdout.trim();
      const twice = await cli(['tenants', 'create', 'ops', ...target()]);
      expect([twice.code, twice.stdout, twice.stderr]).toEqual([
        1,
        '',
        'alga: alga tenants create: tenant ops exists; alga tenants rotate-key ops gives it a new key [USAGE]\n',
      ]);
      const listed = await cli(['tenants', ...target()]);
      expect(listed.stdout.split('\n')).toContain('ops');
      expect(JSON.parse((await cli(['tenants', 'list', '--json', ...target()])).stdout)).toEqual(
        expect.arrayContaining(['ops']),
      );
      const unknown = await cli(['tenants', 'rotate-key', 'nobody', ...target()]);
      expect(unknown.stderr).toBe(
        `alga: alga tenants rotate-key: ${served.url} has no tenant nobody; alga tenants create nobody creates it [USAGE]\n`,
      );

      const grants = ['cap:context.read', 'cap:log.emit', 'cap:config.read'];
      const installed = await cli([
        'install',
        `${EXT}@1.0.0`,
        '--tenant',
        'ops',
        ...grants.flatMap((grant) => ['--grant', grant]),
        ...target(),
      ]);
      expect(installed.code).toBe(0);
      const oldKey = keys.ops;
      const rotated = await cli(['tenants', 'rotate-key', 'ops', '--json', ...target()]);
      const issued = JSON.parse(rotated.stdout) as { tenant: string; apiKey: string };
      expect(issued.tenant).toBe('ops');
      expect(issued.apiKey).not.toBe(oldKey);
      keys.ops = issued.apiKey;
      expect((await call('ops', '/items/1')).status).toBe(200);
      const stale = await fetch(`${served.url}/api/ext/${EXT}/items/1`, {
        headers: { authorization: `Bearer ${oldKey}` },
      });
      expect(stale.status).toBe(401);

      const settings = (...args: string[]) =>
        cli(['settings', EXT, '--tenant', 'ops', ...args, ...target()]);
      const shown = await settings();
      expect(shown.stdout).toMatch(
        new RegExp(
          `^settings of ${EXT}@1\\.0\\.0 for ops \\(install \\S+, config version 1, secrets version 0\\)\\n  greeting = "Hello"\\n  apiKey = \\(secret, not set\\)\\n$`,
        ),
      );
      process.env.OPS_API_KEY = SECRET;
      let saved: Awaited<ReturnType<typeof cli>>;
      try {
        saved = await settings('--config', 'greeting=Hola', '--secret-env', 'apiKey=OPS_API_KEY');
      } finally {
        delete process.env.OPS_API_KEY;
      }
      expect(saved.stderr).toBe('');
      expect(saved.stdout).toMatch(/^saved the settings of .*config version 2, secrets version 1/);
      expect(saved.stdout).toContain('  greeting = "Hola"\n  apiKey = (secret, set)\n');
      expect(saved.stdout).not.toContain(SECRET);
      expect(((await (await call('ops', '/hello')).json()) as { greeting: string }).greeting).toBe(
        'Hola',
      );
      const json = JSON.parse((await settings('--json')).stdout);
      expect(json.secrets.apiKey).toEqual(expect.objectContaining({ set: true, version: 1 }));
      expect(JSON.stringify(json)).not.toContain(SECRET);

      const onCommandLine = await settings('--config', 'apiKey=visible');
      expect(onCommandLine.stderr).toBe(
        'alga: alga settings: apiKey is a secret setting; pass it as --secret-env apiKey=<VARIABLE> so its value stays off the command line [USAGE]\n',
      );
      const unknownKey = await settings('--config', 'colour=red');
      expect(unknownKey.stderr).toContain('answered 400');
      expect(unknownKey.stderr).toContain('settings.colour');
      const unsetVariable = await settings('--secret-env', 'apiKey=ALGA_TEST_UNSET_VARIABLE');
      expect(unsetVariable.stderr).toBe(
        'alga: alga settings: --secret-env apiKey=ALGA_TEST_UNSET_VARIABLE: ALGA_TEST_UNSET_VARIABLE is not set [USAGE]\n',
      );
      const setAndUnset = await settings('--config', 'greeting=Hi', '--unset', 'greeting');
      expect([setAndUnset.code, setAndUnset.stderr]).toEqual([
        1,
        'alga: alga settings: greeting is given to both --config and --unset; pass one of them [USAGE]\n',
      ]);
      const cleared = await settings('--unset', 'greeting', '--clear-secret', 'apiKey');
      expect(cleared.stdout).toContain('  greeting = "Hello"\n  apiKey = (secret, not set)\n');
      expect((await settings('--reset', '--config', 'greeting=x')).code).toBe(1);
      const reset = await settings('--reset');
      expect(reset.stdout).toMatch(/^reset the settings of /);

      const disabled = await cli(['disable', EXT, '--tenant', 'ops', ...target()]);
      expect(disabled.stdout).toBe(
        `disabled ${EXT}@1.0.0 for ops: its requests answer EXTENSION_DISABLED until alga enable\n`,
      );
      const off = await call('ops', '/items/1');
      expect([off.status, await code(off)]).toEqual([404, 'EXTENSION_DISABLED']);
      expect((await cli(['installs', '--tenant', 'ops', ...target()])).stdout).toMatch(
        new RegExp(`^${EXT}@1\\.0\\.0 \\(disabled\\) \\(install `),
      );
      const enabled = await cli(['enable', EXT, '--tenant', 'ops', ...target()]);
      expect(enabled.stdout).toBe(`enabled ${EXT}@1.0.0 for ops\n`);
      expect((await call('ops', '/items/1')).status).toBe(200);

      const audit = await cli(['audit', EXT, '--tenant', 'ops', ...target()]);
      expect(audit.stdout).not.toContain(SECRET);
      const lines = audit.stdout.trimEnd().split('\n');
      const actions = ['install', 'settings', 'settings', 'reset', 'disable', 'enable'];
      expect(lines.map((line) => line.split('  ')[1])).toEqual(actions);
      expect(lines[1]).toMatch(/ {2}1\.0\.0 {2}config: greeting; secrets: apiKey$/);
      expect(lines[2]).toMatch(/ {2}config: greeting; cleared: apiKey$/);
      const auditJson = JSON.parse(
        (await cli(['audit', EXT, '--tenant', 'ops', '--json', ...target()])).stdout,
      ) as { action: string }[];
      expect(auditJson.map((entry) => entry.action)).toEqual(actions);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'alga logs follows guest output live, only of the tenant asked for, until Ctrl-C',
    async () => {
      const events: GuestLogEvent[] = [];
      const stop = new AbortController();
      let opened = () => {};
      const ready = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const following = followLogs(
        { tenant: 'ops', extensionId: EXT },
        { host: served.url, token: served.adminToken },
        { signal: stop.signal, onReady: opened, onEvent: (event) => events.push(event) },
      );
      // Settled at once, so a failure shows as this value, never as an unhandled rejection.
      const outcome = following.then(
        () => undefined,
        (error: unknown) => error,
      );
      await Promise.race([ready, outcome]);
      expect((await call('acme', '/log')).status).toBe(200);
      const logged = await call('ops', '/log');
      expect(logged.status).toBe(200);
      await until(() => events.length >= 2);
      // Time for a line of another tenant to arrive, were the filter not applied.
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop.abort();
      expect(await outcome).toBeUndefined();
      const requestId = logged.headers.get('x-request-id');
      expect(
        events
          .map(({ tenantId, requestId, stream, level, message, fields }) => ({
            tenantId,
            requestId,
            stream,
            level,
            message,
            fields,
          }))
          .sort((a, b) => a.stream.localeCompare(b.stream)),
      ).toEqual([
        {
          tenantId: 'ops',
          requestId,
          stream: 'log',
          level: 'info',
          message: 'hello from the guest',
          fields: { item: 7 },
        },
        {
          tenantId: 'ops',
          requestId,
          stream: 'stdout',
          level: 'info',
          message: 'a line on stdout',
          fields: undefined,
        },
      ]);
      await expect(
        followLogs(
          {},
          { host: served.url, token: 'wrong-token-0123456789' },
          { onEvent: () => {} },
        ),
      ).rejects.toThrow(
        `${served.url} answered 401 UNAUTHENTICATED: The debug stream needs authorization: Bearer <admin token>.`,
      );

      // The command itself: events alone on stdout, one line each, until SIGINT.
      const { child, output } = startAlga(['logs', '--tenant', 'ops', ...target()]);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await until(() => output.stderr.includes('Ctrl-C stops'), SPAWN_TIMEOUT);
      expect(output.stderr).toBe(`alga logs: following ${served.url}; Ctrl-C stops\n`);
      const second = await call('ops', '/log');
      await until(() => output.stdout.split('\n').length > 2);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const prefix = `^\\S+Z {2}ops {2}${EXT}@1\\.0\\.0 {2}${second.headers.get('x-request-id')} {2}`;
      expect(output.stdout.trimEnd().split('\n').sort()).toEqual([
        expect.stringMatching(new RegExp(`${prefix}info {2}hello from the guest \\{"item":7\\}$`)),
        expect.stringMatching(new RegExp(`${prefix}stdout {2}a line on stdout$`)),
      ]);
    },
    SPAWN_TIMEOUT,
  );

  it('calls an endpoint with the tenant key; the guest never sees the key or a cookie', async () => {
    const response = await call('acme', '/hello', { headers: { cookie: 'sid=browser' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      greeting: 'Hola',
      tenant: 'acme',
      injectedTenant: 'acme',
      configVersion: '1',
      authorization: null,
      cookie: null,
    });
  });

  it("writes a request's gateway and invocation log lines out without waiting for more traffic", async () => {
    const response = await call('acme', '/hello');
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    const lines = () =>
      served
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { requestId?: string; msg?: string; status?: number })
        .filter((line) => line.requestId === requestId);
    const deadline = Date.now() + 5_000;
    while (lines().length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lines().map(({ msg, status }) => [msg, status])).toEqual([
      ['invocation', 200],
      ['gateway request', 200],
    ]);
  });

  it('never passes a set-cookie from the handler to the client', async () => {
    const response = await call('acme', '/cookie');
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-ext-cookie')).toBe('tried');
  });

  it('serves the UI asset and revalidates it with 304', async () => {
    const listed = (await (await admin('/api/v1/extensions')).json()) as {
      extensions: { versions: { version: string; contentHash: string }[] }[];
    };
    const hash = listed.extensions[0]?.versions.find((v) => v.version === '1.0.0')?.contentHash;
    const src = `${served.url}/ext-ui/${EXT}/${hash}/index.html`;
    const page = await fetch(src);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Gateway statuses</title>');
    expect(page.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = page.headers.get('etag') ?? '';
    const revalidated = await fetch(src, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    const script = await fetch(`${served.url}/ext-ui/${EXT}/${hash}/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const prefix = `/ext-ui/${EXT}/${hash}`;
    for (const path of [
      `${prefix}/../../../etc/passwd`,
      `${prefix}/%2e%2e/manifest.json`,
      `${prefix}/%252e%252e/manifest.json`,
      `${prefix}/..\\manifest.json`,
    ]) {
      expect(await raw(served.url, path), path).toBe(404);
    }
  });

  it('answers 400, 403, 404, 413 and 504 from the fixture extension', async () => {
    const malformed = await call('acme', '/items/%E0%A4%A');
    expect([malformed.status, await code(malformed)]).toEqual([400, 'BAD_REQUEST']);
    const denied = await call('acme', '/secret');
    expect(denied.status).toBe(403);
    expect(await denied.text()).not.toContain(SECRET);
    const undeclared = await call('acme', '/not-declared');
    expect([undeclared.status, await code(undeclared)]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    const large = await call('acme', '/echo', { method: 'POST', body: 'x'.repeat(70_000) });
    expect([large.status, await code(large)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const slow = await call('acme', '/slow');
    expect([slow.status, await code(slow)]).toEqual([504, 'TIMEOUT']);
    expect((await call('acme', '/items/7')).status).toBe(200);
  });

  it('answers 429 with retry-after past the tenant rate limit', async () => {
    for (let i = 0; i < 20; i += 1) expect((await call('flood', '/items/1')).status).toBe(200);
    const limited = await call('flood', '/items/1');
    expect([limited.status, await code(limited)]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it(
    'drains on SIGTERM, and after a restart answers 502 for a bundle altered on disk',
    async () => {
      expect(await served.stop()).toBe(0);
      expect(served.output()).toContain('alga serve: SIGTERM, draining in-flight requests');
      expect(served.output()).toMatch(/"msg":"host stopped"/);
      expect(served.output()).not.toContain(SECRET);
      const stored = join(dir, 'data', 'bundles', 'sha256', variantHash.slice('sha256:'.length));
      const bytes = await readFile(stored);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
      await writeFile(stored, bytes);
      served = await serve(['--data', join(dir, 'data'), '--port', '0', '--trust', trustPath], {
        ALGA_ADMIN_TOKEN: 'restart-admin-token-0123456789',
      });
      const spoiled = await call('tamper', '/hello');
      expect([spoiled.status, await code(spoiled)]).toEqual([502, 'INTEGRITY']);
      expect((await call('acme', '/items/8')).status).toBe(200);
    },
    SPAWN_TIMEOUT,
  );
});
