import { spawn } from 'node:child_process';
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Actor, EmbeddedHost, Runner, ServedRunner, SigningKey } from '@alga/host';
import type { Manifest } from '@alga/manifest';
import { pino } from 'pino';
import { buildExtension } from '../build/index';
import { loadProject } from '../build/project';
import { generateKeyFiles } from '../commands/keygen';
import { CliError } from '../internal/errors';
import { loadStackMapper, type StackMapper } from '../internal/stack-map';
import { terminalSafe } from '../internal/terminal';
import { DEV_CONFIG_TEMPLATE, type DevConfig, readDevConfig } from './config';
import { fingerprint, isWatched } from './fingerprint';
import { readSse } from './sse';

/** Options of {@link startDev}. */
export interface DevOptions {
  /** The extension folder (with `manifest.json`). */
  dir: string;
  /** Port of the dev host on 127.0.0.1 (default 3000; 0 picks a free one). */
  port?: number;
  /** Where progress, requests and logs are printed (default stdout). */
  write?: (text: string) => void;
  /** Quiet time after the last file event before a rebuild starts (default 150 ms). */
  debounceMs?: number;
  /** Build cache folder (default that of `alga build`). */
  cacheDir?: string;
}

/** A running `alga dev`. */
export interface DevSession {
  /** The dev host, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly extensionId: string;
  /** The dev tenant and its gateway API key (requests without a key run as this tenant). */
  readonly tenant: string;
  readonly apiKey: string;
  /** The version last published (`<version>-dev.<n>`), or `undefined` before the first. */
  readonly version: string | undefined;
  /** How many build-and-publish cycles finished (failed ones included). */
  readonly cycles: number;
  /** Rebuilds and republishes now, as a file change would. */
  rebuild(): Promise<void>;
  /** Stops watching, closes the dev host. Idempotent. */
  close(): Promise<void>;
}

/** The registry actor of everything `alga dev` does. */
const DEV_ACTOR: Actor = { id: 'alga-dev', roles: ['admin'] };

const ms = (value: number) =>
  value < 1000 ? `${value.toFixed(1)} ms` : `${(value / 1000).toFixed(1)} s`;

/**
 * `<version>-dev.<n>`: a prerelease above every earlier dev build of the same version. The
 * registry keeps versions immutable (other content under a published version is refused), so
 * each rebuild is published as a new prerelease and the dev install is moved to it.
 */
export function devVersion(version: string, n: number): string {
  const core = version.split('+')[0] as string;
  return core.includes('-') ? `${core}.dev.${n}` : `${core}-dev.${n}`;
}

async function runScript(dir: string, script: string): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await new Promise<void>((resolve, reject) => {
    const child = spawn(npm, ['run', '--silent', script], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new CliError(
              'BUILD_FAILED',
              `npm run ${script} exited with ${code}:\n${output.trim()}`,
            ),
          ),
    );
  });
}

async function hasScript(dir: string, script: string): Promise<boolean> {
  const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts;
  return typeof scripts?.[script] === 'string';
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const issues = (error as { issues?: Array<{ field?: string; message: string }> }).issues;
    const unsaid = Array.isArray(issues)
      ? issues.filter((issue) => !error.message.includes(issue.message))
      : [];
    const detail = unsaid.map((issue) => `\n    ${issue.field ?? ''}: ${issue.message}`).join('');
    return `${error.message}${typeof code === 'string' ? ` [${code}]` : ''}${detail}`;
  }
  return String(error);
}

/** Reads or makes the dev signing key under `.alga/`, and a trust bundle naming only it. */
async function devSigner(
  algaDir: string,
  publisher: string,
): Promise<{ key: SigningKey; trustPath: string }> {
  const { loadSigningKey } = await import('@alga/host');
  const prefix = join(algaDir, 'dev-signing');
  if (!existsSync(`${prefix}.key`)) await generateKeyFiles(prefix, { publisher });
  const key = loadSigningKey(await readFile(`${prefix}.key`));
  const trustPath = join(algaDir, 'dev-trust.json');
  await writeFile(
    trustPath,
    `${JSON.stringify({ keys: [key.publicKeyDocument(publisher)] }, null, 2)}\n`,
  );
  return { key, trustPath };
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              'USAGE',
              `alga dev: port ${port} is in use; pass another --port (0 picks a free one)`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** The settings change that makes the install's settings exactly what `dev.json` says. */
function settingsFrom(manifest: Manifest, dev: DevConfig) {
  const config: Record<string, string | number | boolean | null> = { ...dev.config };
  const secrets: Record<string, string | null> = {};
  for (const field of manifest.settings) {
    if (field.kind === 'secret') secrets[field.key] = dev.secrets[field.key] ?? null;
    else if (!(field.key in config)) config[field.key] = null;
  }
  for (const [key, value] of Object.entries(dev.secrets)) secrets[key] ??= value;
  return { config, secrets };
}

/**
 * Runs an extension locally: builds it (cached), signs it with a dev key under `.alga/`,
 * publishes it to an embedded host and installs it for a dev tenant with the config and
 * secrets of `.alga/dev.json`; then watches the folder and does it again on every change.
 * Each request is printed with its status and duration, followed by the handler's log lines.
 *
 * @example
 * ```ts
 * const dev = await startDev({ dir: './my-ext', port: 4000 });
 * // GET http://127.0.0.1:4000/api/ext/com.example.my-ext/hello
 * await dev.close();
 * ```
 */
export async function startDev(options: DevOptions): Promise<DevSession> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const {
    createEmbeddedHost,
    createNodeListener,
    packBundle,
    readBundle,
    signBundle,
    BUNDLE_INDEX_PATH,
  } = await import('@alga/host');
  let project = await loadProject(options.dir);
  const { dir } = project;
  const extensionId = project.manifest.name;
  const algaDir = join(dir, '.alga');
  const devConfigPath = join(algaDir, 'dev.json');
  await mkdir(algaDir, { recursive: true, mode: 0o700 });
  const notes: string[] = [];
  if (!existsSync(devConfigPath)) {
    await writeFile(devConfigPath, DEV_CONFIG_TEMPLATE, { mode: 0o600 });
    notes.push('created .alga/dev.json: put the config and secrets of your local install there');
  }
  const gitignore = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined);
  if (gitignore !== undefined && !/^\/?\.alga\/?$/m.test(gitignore)) {
    notes.push('add .alga/ to .gitignore: it holds your dev secrets and signing key');
  }
  let devConfigText = await readFile(devConfigPath, 'utf8');
  let devConfig = await readDevConfig(devConfigPath, '.alga/dev.json');
  const { key, trustPath } = await devSigner(algaDir, project.manifest.publisher);

  // The front server listens first, so a taken port fails before anything starts.
  const server = createServer();
  const port = await listen(server, options.port ?? 3000);
  const url = `http://127.0.0.1:${port}`;
  const hostDir = join(algaDir, 'dev-host');
  let host: EmbeddedHost;
  try {
    host = await createEmbeddedHost({
      dataDir: hostDir,
      port: 0,
      host: '127.0.0.1',
      trust: trustPath,
      dev: true,
      publicBase: url,
      logger: pino(
        { level: 'info', base: { component: 'alga-host' } },
        pino.destination({ dest: join(hostDir, 'host.log'), mkdir: true, sync: true }),
      ),
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const admin = (method: string, path: string, json?: unknown) =>
    host.fetch(
      new Request(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${host.adminToken}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      }),
    );
  const tenant = devConfig.tenant;
  const issued = (await (await admin('POST', '/api/v1/tenants', { tenant })).json()) as {
    apiKey: string;
  };
  const apiKey = issued.apiKey;

  // The handler's log lines, grouped under their request's line.
  const pendingLogs = new Map<string, string[]>();
  const printed = new Set<string>();
  // Stack positions in guest output point into the bundle; the last build's map names sources.
  let mapStack: StackMapper = (text) => text;
  const logLine = (event: { level: string; stream: string; message: string; fields?: unknown }) =>
    `    ${terminalSafe(mapStack(`${event.stream === 'log' ? event.level : event.stream} ${event.message}${event.fields === undefined ? '' : ` ${JSON.stringify(event.fields)}`}`))}\n`;
  const debugAbort = new AbortController();
  const debugStream = await admin(
    'GET',
    `/api/ext-debug/stream?tenant=${encodeURIComponent(tenant)}`,
  );
  void (async () => {
    if (debugStream.body === null) return;
    for await (const message of readSse(debugStream.body, debugAbort.signal)) {
      if (message.event !== 'debug') continue;
      const event = JSON.parse(message.data) as {
        requestId: string;
        level: string;
        stream: string;
        message: string;
        fields?: unknown;
      };
      if (printed.has(event.requestId)) write(logLine(event));
      else
        pendingLogs.set(event.requestId, [
          ...(pendingLogs.get(event.requestId) ?? []),
          logLine(event),
        ]);
    }
  })().catch(() => undefined);

  const prefixes = [`/api/ext/${extensionId}`, `/api/ext-proxy/${extensionId}`];
  const fetch = async (request: Request): Promise<Response> => {
    const started = performance.now();
    const target = new URL(request.url);
    const route = prefixes.find((prefix) => target.pathname.startsWith(`${prefix}/`));
    let forwarded = request;
    const site = request.headers.get('sec-fetch-site');
    // Requests without a key run as the dev tenant; a cross-site page in a browser never does.
    if (
      route !== undefined &&
      !request.headers.has('authorization') &&
      (site === null || site === 'same-origin' || site === 'none')
    ) {
      const headers = new Headers(request.headers);
      headers.set('authorization', `Bearer ${apiKey}`);
      forwarded = new Request(request, { headers });
    }
    const response = await host.fetch(forwarded);
    if (route !== undefined) {
      const requestId = response.headers.get('x-request-id') ?? '';
      const path = `${target.pathname.slice(route.length)}${target.search}`;
      const kind = route.startsWith('/api/ext-proxy/') ? ' (ui proxy)' : '';
      // The debug stream may still be delivering the handler's last lines; give it a moment.
      setTimeout(() => {
        write(
          `${request.method} ${path} ${response.status} ${ms(performance.now() - started)}${kind}\n`,
        );
        for (const line of pendingLogs.get(requestId) ?? []) write(line);
        pendingLogs.delete(requestId);
        printed.add(requestId);
        if (printed.size > 1000) printed.delete(printed.values().next().value as string);
      }, 25);
    }
    return response;
  };
  server.on('request', createNodeListener(fetch));

  const runner = host.runner as Runner & Pick<ServedRunner, 'warm'>;
  let version: string | undefined;
  let cycles = 0;
  let installed = (await host.store.getInstall(tenant, extensionId)) !== undefined;
  let lastFingerprint = '';

  const applySettings = async () => {
    const { config, secrets } = settingsFrom(project.manifest, devConfig);
    await host.registry.saveSettings(tenant, extensionId, { actor: DEV_ACTOR, config, secrets });
  };
  const grantsAndEgress = () => ({
    grants: devConfig.grants ?? project.manifest.capabilities,
    egress: devConfig.egress ?? project.manifest.http?.allow ?? [],
  });

  const cycle = async (): Promise<void> => {
    const started = performance.now();
    try {
      project = await loadProject(dir);
      if (await hasScript(dir, 'build:ui')) await runScript(dir, 'build:ui');
      const built = await buildExtension({
        dir,
        ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      });
      mapStack = await loadStackMapper(built.componentPath, dir);
      const plain = await packBundle(dir, { compress: false });
      const files = new Map((await readBundle(plain.bytes)).files);
      files.delete(BUNDLE_INDEX_PATH);
      const next = devVersion(project.manifest.version, Date.now());
      const manifestJson = JSON.parse(
        new TextDecoder().decode(files.get('manifest.json')),
      ) as Record<string, unknown>;
      files.set(
        'manifest.json',
        new TextEncoder().encode(
          `${JSON.stringify({ ...manifestJson, version: next }, null, 2)}\n`,
        ),
      );
      const packed = await packBundle(files, { compress: false });
      const signature = await signBundle(packed, key);
      await host.registry.publish(packed.bytes, signature, { actor: DEV_ACTOR });
      if (installed) {
        await host.registry.upgrade(tenant, extensionId, {
          actor: DEV_ACTOR,
          version: next,
          ...grantsAndEgress(),
        });
      } else {
        await host.registry.install(tenant, extensionId, {
          actor: DEV_ACTOR,
          version: next,
          ...grantsAndEgress(),
        });
        installed = true;
      }
      await applySettings();
      await runner.warm(packed.contentHash, { extensionId, version: next });
      version = next;
      const buildNote = built.cached ? `cached, ${ms(built.durationMs)}` : ms(built.durationMs);
      write(
        `built (${buildNote}), published ${extensionId}@${next} ${packed.contentHash.slice(0, 19)}… in ${ms(performance.now() - started)}\n`,
      );
    } catch (error) {
      write(`build failed: ${describe(error)}\n  (fix it and save; alga dev keeps watching)\n`);
    } finally {
      lastFingerprint = await fingerprint(dir);
      cycles += 1;
    }
  };
  const settingsOnly = async (): Promise<void> => {
    try {
      devConfig = await readDevConfig(devConfigPath, '.alga/dev.json');
      if (installed) {
        await host.registry.setGrants(tenant, extensionId, {
          actor: DEV_ACTOR,
          ...grantsAndEgress(),
        });
        await applySettings();
      }
      write('applied .alga/dev.json\n');
    } catch (error) {
      write(`.alga/dev.json not applied: ${describe(error)}\n`);
    } finally {
      cycles += 1;
    }
  };

  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work, work);
    return queue;
  };

  write(`alga dev: ${extensionId} on ${url}\n`);
  write(`  tenant ${tenant}, API key ${apiKey} (requests without a key run as this tenant)\n`);
  write(`  settings from .alga/dev.json, host data and logs in .alga/dev-host/\n`);
  for (const note of notes) write(`  note: ${note}\n`);
  await enqueue(cycle);
  const example = project.manifest.api.endpoints.find(
    (endpoint) => endpoint.method === 'GET' && !endpoint.path.includes(':'),
  );
  if (example !== undefined) write(`  try: curl ${url}/api/ext/${extensionId}${example.path}\n`);
  write('watching for changes (Ctrl-C to stop)\n');

  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  const onChange = () => {
    timer = undefined;
    const files = [...changed].sort();
    changed.clear();
    void enqueue(async () => {
      const text = await readFile(devConfigPath, 'utf8').catch(() => devConfigText);
      const configChanged = text !== devConfigText;
      devConfigText = text;
      const current = await fingerprint(dir);
      if (current === lastFingerprint && !configChanged) return;
      // Editors save through temporary files; name only the files that are there now.
      const present = files.filter((file) => existsSync(join(dir, file)));
      write(`changed: ${present.join(', ') || 'removed files'}\n`);
      if (current !== lastFingerprint) {
        if (configChanged)
          devConfig = await readDevConfig(devConfigPath, '.alga/dev.json').catch(
            (error: unknown) => {
              write(`.alga/dev.json not applied: ${describe(error)}\n`);
              return devConfig;
            },
          );
        await cycle();
      } else {
        await settingsOnly();
      }
    });
  };
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, filename) => {
    if (filename === null) return;
    const rel = filename.split('\\').join('/');
    if (!isWatched(rel) && rel !== '.alga/dev.json') return;
    changed.add(rel);
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs ?? 150);
  });

  let closed: Promise<void> | undefined;
  return {
    url,
    extensionId,
    tenant,
    apiKey,
    get version() {
      return version;
    },
    get cycles() {
      return cycles;
    },
    rebuild: () => enqueue(cycle),
    close() {
      closed ??= (async () => {
        watcher.close();
        clearTimeout(timer);
        await queue;
        debugAbort.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await host.close();
      })();
      return closed;
    },
  };
}
