import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AdminTarget } from '@alga/cli';
import { type HostApp, startHostApp } from '@alga/example-host-app';
import { z } from 'zod';
import { DemoError } from './errors';
import { REPO_ROOT } from './plan';
import { Progress } from './progress';
import {
  buildExamples,
  devKey,
  packAndSign,
  publishAll,
  registryIsStale,
  resetHostData,
  tenantsAndInstalls,
  warm,
} from './steps';

const USAGE = `npm run demo [-- --port <n>] [--check] [--fresh] [--data <dir>]

Builds the example extensions, signs them with a dev key, publishes them to an embedded
Alga host, installs them for two tenants and serves a host page on http://localhost:<port>.

  --port <n>  port of the host page (default $PORT, else 3000; 0 picks a free one)
  --check     start, run the printed curl commands as a self-check, then stop (for CI)
  --fresh     start the host with an empty registry (keys, bundles and build caches stay)
  --data <d>  where keys, bundles and the host's data live (default .alga/demo, git-ignored)

Ctrl-C stops the host cleanly.
`;

const optionsSchema = z.object({
  port: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 to 65535')
    .max(65_535, 'must be 0 to 65535'),
  check: z.boolean(),
  fresh: z.boolean(),
  data: z.string().min(1, 'must name a folder'),
});

/** One of the printed curl commands, with what it must answer. */
interface Example {
  readonly what: string;
  readonly url: string;
  readonly token: string;
  readonly expect: (status: number, body: unknown) => string | undefined;
}

function parseOptions(argv: readonly string[]): z.infer<typeof optionsSchema> | undefined {
  let values: {
    port?: string | undefined;
    check?: boolean | undefined;
    fresh?: boolean | undefined;
    data?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        check: { type: 'boolean' },
        fresh: { type: 'boolean' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (cause) {
    throw new DemoError('USAGE', `${(cause as Error).message}\n\n${USAGE}`, { cause });
  }
  if (values.help === true) return undefined;
  const parsed = optionsSchema.safeParse({
    port: values.port ?? process.env.PORT ?? 3000,
    check: values.check ?? false,
    fresh: values.fresh ?? false,
    data: values.data ?? join(REPO_ROOT, '.alga', 'demo'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] === 'port' ? '--port / PORT' : `--${String(issue?.path[0])}`;
    throw new DemoError('USAGE', `${flag} ${issue?.message ?? 'is invalid'}\n\n${USAGE}`);
  }
  return parsed.data;
}

function examples(app: HostApp, apiKeys: Readonly<Record<string, string>>): Example[] {
  const object = (body: unknown) =>
    (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  return [
    {
      what: 'hello, as tenant acme',
      url: `${app.appOrigin}/api/ext/com.example.hello/hello?name=Ada`,
      token: apiKeys.acme ?? '',
      expect: (status, body) =>
        status === 200 && object(body).message === 'Hello, Ada!' && object(body).tenantId === 'acme'
          ? undefined
          : `expected 200 {"message":"Hello, Ada!","tenantId":"acme"}, got ${status} ${JSON.stringify(body)}`,
    },
    {
      what: "the board's summary, as tenant globex (its own greeting, no API key set)",
      url: `${app.appOrigin}/api/ext/com.example.ui-demo/summary`,
      token: apiKeys.globex ?? '',
      expect: (status, body) =>
        status === 200 &&
        object(body).greeting === 'Howdy' &&
        object(body).tenantId === 'globex' &&
        JSON.stringify(object(body).secretsSet) === '[]'
          ? undefined
          : `expected 200 with greeting "Howdy" for globex, got ${status} ${JSON.stringify(body)}`,
    },
    {
      what: "acme's board settings through the admin API (secrets show only whether they are set)",
      url: `${app.appOrigin}/api/v1/installs/acme/com.example.ui-demo/settings`,
      token: app.host.adminToken,
      expect: (status, body) => {
        const config = object(object(body).config);
        const secret = object(object(object(body).secrets).apiKey);
        const leaked = JSON.stringify(body).includes('demo-acme-board-key');
        return status === 200 &&
          config.greeting === 'Welcome aboard' &&
          secret.set === true &&
          !leaked
          ? undefined
          : `expected 200 with greeting "Welcome aboard" and apiKey set (value hidden), got ${status} ${JSON.stringify(body)}`;
      },
    },
  ];
}

const curl = (example: Example) =>
  `curl -s -H 'authorization: Bearer ${example.token}' '${example.url}'`;

async function selfCheck(app: HostApp, list: readonly Example[]): Promise<string[]> {
  const failures: string[] = [];
  for (const example of list) {
    const response = await fetch(example.url, {
      headers: { authorization: `Bearer ${example.token}` },
    });
    const body: unknown = await response.json().catch(() => undefined);
    const problem = example.expect(response.status, body);
    if (problem !== undefined)
      failures.push(`${curl(example).replace(example.token, '<token>')}: ${problem}`);
  }
  const page = await fetch(`${app.appOrigin}/`);
  if (page.status !== 200) failures.push(`GET ${app.appOrigin}/ answered ${page.status}`);
  return failures;
}

function banner(
  app: HostApp,
  apiKeys: Readonly<Record<string, string>>,
  list: readonly Example[],
  elapsed: string,
): string {
  const width = Math.max(...Object.keys(apiKeys).map((tenant) => tenant.length));
  const keys = Object.entries(apiKeys).map(
    ([tenant, key], index) =>
      `${index === 0 ? '  API keys       ' : '                 '}${tenant.padEnd(width)}  ${key}`,
  );
  return [
    '',
    `Alga demo is running (ready in ${elapsed}).`,
    '',
    `  Host page      ${app.appOrigin}/`,
    `  Extension UIs  ${app.uiOrigin}/ext-ui/… (a second origin on the same port)`,
    `  Admin token    ${app.host.adminToken}`,
    ...keys,
    `  Host log       ${relative(process.cwd(), app.logFile) || app.logFile}`,
    '',
    'Try (copy and paste):',
    ...list.flatMap((example) => [`  # ${example.what}`, `  ${curl(example)}`]),
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** Runs the demo; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const write = (text: string) => process.stdout.write(text);
  const dataDir = resolve(options.data);
  const hostDir = join(dataDir, 'host');
  let app: HostApp | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      write(`\n${signal}: stopping (draining requests in flight) ...\n`);
      await app?.close();
      write('stopped.\n');
      return 0;
    })();
    return stopping;
  };
  const interrupted = new Promise<number>((resolve) => {
    const once = (signal: NodeJS.Signals) => {
      // A second Ctrl-C does not wait for the drain.
      process.once(signal, () => process.exit(130));
      if (app === undefined) {
        write(`\n${signal} during start-up: nothing to drain, exiting.\n`);
        process.exit(130);
      }
      void stop(signal).then(resolve);
    };
    process.once('SIGINT', once);
    process.once('SIGTERM', once);
  });

  write('Alga demo: build, sign, publish and install the examples, then serve a host page.\n');
  const progress = new Progress(7, write);
  await progress.step('building the examples (alga build)', buildExamples);
  const { key, trustPath } = await progress.step('dev signing key and trust bundle', () =>
    devKey(dataDir),
  );
  const packed = await progress.step('packing and signing bundles', () =>
    packAndSign(dataDir, key),
  );
  app = await progress.step(
    `starting the host app and an embedded Alga host on port ${options.port}`,
    async () => {
      const stale = options.fresh || (await registryIsStale(hostDir, packed));
      if (stale) await resetHostData(hostDir);
      const started = await startHostApp({
        port: options.port,
        host: {
          dataDir: hostDir,
          trust: trustPath,
          egressAllowlist: ['api.quotes.example'],
          ...(process.env.ALGA_ADMIN_TOKEN === undefined
            ? {}
            : { adminToken: process.env.ALGA_ADMIN_TOKEN }),
        },
        logFile: join(hostDir, 'host.log'),
        pageCacheDir: join(REPO_ROOT, 'node_modules', '.cache', 'alga', 'host-page'),
      });
      const page = started.page.cached
        ? 'page cached'
        : `page bundled in ${started.page.durationMs} ms`;
      return {
        value: started,
        detail: `${started.appOrigin} (${page}${stale ? ', registry reset' : ''})`,
      };
    },
  );
  const running = app;
  const target: AdminTarget = { host: running.host.url, token: running.host.adminToken };
  await progress.step('publishing to the embedded host (POST /api/v1/extensions)', () =>
    publishAll(target, hostDir, packed),
  );
  const apiKeys = await progress.step('tenants acme and globex, and their installs', () =>
    tenantsAndInstalls(running, target, packed),
  );
  await progress.step('loading the components', () => warm(running, packed));
  running.setTenants(apiKeys);
  const list = examples(running, apiKeys);
  write(banner(running, apiKeys, list, progress.elapsed()));

  if (options.check) {
    const failures = await selfCheck(running, list);
    if (failures.length > 0) {
      await stop('check');
      throw new DemoError('CHECK_FAILED', `the self-check failed:\n  ${failures.join('\n  ')}`);
    }
    write(`check: the ${list.length} curl commands and the host page answered as expected.\n`);
    return stop('check');
  }
  return interrupted;
}
