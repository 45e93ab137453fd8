import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type DevSession, devVersion, startDev } from '@alga/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ALGA_BIN = join(REPO, 'packages/cli/bin/alga.js');
// Shared with the other build tests, so the fixture componentizes once per source, not per run.
const CACHE_DIR = join(REPO, 'node_modules/.cache/alga/build');

const MANIFEST = {
  name: 'com.example.dev-fixture',
  publisher: 'example',
  version: '0.3.0',
  runtime: 'wasm-js@1',
  entry: 'dist/component.wasm',
  capabilities: ['cap:context.read', 'cap:log.emit', 'cap:config.read', 'cap:secrets.get'],
  api: { endpoints: [{ method: 'GET', path: '/hello', handler: 'hello' }] },
  settings: [
    { key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello' },
    { key: 'apiKey', kind: 'secret', label: 'API key' },
  ],
};

const handler = (word: string) => `import { createHandler, json } from '@alga/runtime';

export default createHandler(async (req, ctx) => {
  if (req.query.has('fail')) throw new Error('dev failure');
  const greeting = (await ctx.config.get<string>('greeting')) ?? 'Hello';
  const secrets = await ctx.secrets.names();
  ctx.log.info('${word}', { tenant: ctx.context.tenantId });
  return json({ text: \`\${greeting}, \${req.query.get('name') ?? 'you'} (${word})\`, secrets });
});
`;

let project: string;
let session: DevSession;
let output = '';

async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 240_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; output so far:\n${output}`);
}

async function hello(): Promise<{ status: number; body: { text: string; secrets: string[] } }> {
  const response = await fetch(`${session.url}/api/ext/com.example.dev-fixture/hello?name=Ada`);
  return {
    status: response.status,
    body: (await response.json()) as { text: string; secrets: string[] },
  };
}

beforeAll(async () => {
  // Outside the repository, like an author's folder after `npm install` linked @alga/runtime.
  project = await mkdtemp(join(tmpdir(), 'alga-dev-'));
  await mkdir(join(project, 'src'));
  await mkdir(join(project, 'node_modules/@alga'), { recursive: true });
  await symlink(join(REPO, 'packages/runtime'), join(project, 'node_modules/@alga/runtime'));
  await writeFile(join(project, 'manifest.json'), JSON.stringify(MANIFEST, null, 2));
  await writeFile(join(project, 'src/handler.ts'), handler('first'));
  await writeFile(join(project, '.gitignore'), 'node_modules/\ndist/\n');
  await mkdir(join(project, '.alga'));
  await writeFile(
    join(project, '.alga/dev.json'),
    JSON.stringify({
      tenant: 'local',
      config: { greeting: 'Hi' },
      secrets: { apiKey: 'dev-key-1' },
    }),
  );
  session = await startDev({
    dir: project,
    port: 0,
    debounceMs: 100,
    cacheDir: CACHE_DIR,
    write: (text) => {
      output += text;
    },
  });
}, 300_000);

afterAll(async () => {
  await session?.close();
  await rm(project, { recursive: true, force: true });
});

describe('alga dev', () => {
  it('publishes a dev prerelease, installs it with .alga/dev.json and serves it', async () => {
    expect(session.version).toMatch(/^0\.3\.0-dev\.\d+$/);
    expect(output).toContain(`alga dev: com.example.dev-fixture on ${session.url}\n`);
    expect(output).toContain(
      `  tenant local, API key ${session.apiKey} (requests without a key run as this tenant)\n`,
    );
    expect(output).toContain(
      '  note: add .alga/ to .gitignore: it holds your dev secrets and signing key\n',
    );
    expect(output).toMatch(
      /built \(.+\), published com\.example\.dev-fixture@0\.3\.0-dev\.\d+ sha256:[0-9a-f]{12}… in /,
    );
    expect(output).toContain(`  try: curl ${session.url}/api/ext/com.example.dev-fixture/hello\n`);
    const first = await hello();
    expect(first).toEqual({ status: 200, body: { text: 'Hi, Ada (first)', secrets: ['apiKey'] } });
    // The secret reached the guest's host side only; nothing printed it.
    expect(output).not.toContain('dev-key-1');
  });

  it('prints each request with its status and duration, then the handler log lines', async () => {
    await hello();
    const line = await until(
      () =>
        output.match(
          /GET \/hello\?name=Ada 200 \d+\.\d m?s\n {4}info first \{"tenant":"local"\}\n/,
        )?.[0],
      'the request line',
      10_000,
    );
    expect(line).toBeDefined();
    // A handler's stack is printed with source positions (the build's source map), not bundle ones.
    expect((await fetch(`${session.url}/api/ext/com.example.dev-fixture/hello?fail`)).status).toBe(
      500,
    );
    const failure = await until(
      () => output.match(/ {4}error handler failed: Error: dev failure .*\n/)?.[0],
      'the failure line',
      10_000,
    );
    expect(failure).toMatch(/@src\/handler\.ts:4:\d+/);
    expect(failure).not.toContain('component.js:');
    // A request with a key of another tenant is refused, and printed too.
    const other = await fetch(`${session.url}/api/ext/com.example.dev-fixture/hello`, {
      headers: { authorization: 'Bearer alga_tk_not-a-key' },
    });
    expect(other.status).toBe(401);
    await until(
      () => (output.includes('GET /hello 401 ') ? true : undefined),
      'the 401 line',
      10_000,
    );
  });

  it('rebuilds and republishes when the handler changes', async () => {
    const before = session.version;
    const cycles = session.cycles;
    await writeFile(join(project, 'src/handler.ts'), handler('second'));
    await until(() => (session.cycles > cycles ? true : undefined), 'the rebuild');
    expect(output).toContain('changed: src/handler.ts\n');
    expect(session.version).not.toBe(before);
    expect(session.version).toMatch(/^0\.3\.0-dev\.\d+$/);
    expect((await hello()).body.text).toBe('Hi, Ada (second)');
  });

  it('applies an edited .alga/dev.json without rebuilding, and names a bad field', async () => {
    const version = session.version;
    let cycles = session.cycles;
    await writeFile(
      join(project, '.alga/dev.json'),
      JSON.stringify({ tenant: 'local', config: { greeting: 'Hey' } }),
    );
    await until(() => (session.cycles > cycles ? true : undefined), 'the settings change');
    expect(output).toContain('applied .alga/dev.json\n');
    expect(session.version).toBe(version);
    expect((await hello()).body).toEqual({ text: 'Hey, Ada (second)', secrets: [] });

    cycles = session.cycles;
    await writeFile(join(project, '.alga/dev.json'), JSON.stringify({ secrets: { apiKey: 42 } }));
    await until(() => (session.cycles > cycles ? true : undefined), 'the refusal');
    expect(output).toContain(
      '.alga/dev.json not applied: .alga/dev.json: secrets.apiKey: must be a string [USAGE]\n',
    );
    expect((await hello()).body.text).toBe('Hey, Ada (second)');
  });

  it('ignores writes to dist/ and .alga/ (its own outputs)', async () => {
    const cycles = session.cycles;
    await writeFile(join(project, 'dist/notes.txt'), 'x');
    await writeFile(join(project, '.alga/scratch.txt'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(session.cycles).toBe(cycles);
  });

  it('keeps watching after a failed build and says what failed', async () => {
    const cycles = session.cycles;
    await writeFile(
      join(project, 'src/handler.ts'),
      `${handler('second')}\nconst broken: number = ;\n`,
    );
    await until(() => (session.cycles > cycles ? true : undefined), 'the failed build');
    expect(output).toMatch(
      /build failed: bundling src\/handler\.ts with esbuild failed:\n {2}src\/handler\.ts:\d+:\d+: Unexpected ";" \[BUILD_FAILED\]\n {2}\(fix it and save; alga dev keeps watching\)\n/,
    );
    expect((await hello()).body.text).toBe('Hey, Ada (second)');
  });
});

describe('devVersion', () => {
  it('appends a dev prerelease, after an existing prerelease, without build metadata', () => {
    expect(devVersion('1.2.3', 7)).toBe('1.2.3-dev.7');
    expect(devVersion('1.2.3-beta.1', 7)).toBe('1.2.3-beta.1.dev.7');
    expect(devVersion('1.2.3+build.5', 7)).toBe('1.2.3-dev.7');
  });
});

describe('alga dev (command line)', () => {
  it('refuses a bad --port and a folder without manifest.json, with USAGE', async () => {
    const badPort = await run(process.execPath, [ALGA_BIN, 'dev', '--port', 'x'], {
      cwd: tmpdir(),
    }).catch((error: { code: number; stderr: string }) => error);
    expect(badPort).toMatchObject({
      code: 1,
      stderr: 'alga: alga dev: --port must be a number [USAGE]\n',
    });
    const empty = await mkdtemp(join(tmpdir(), 'alga-dev-empty-'));
    const noManifest = await run(process.execPath, [ALGA_BIN, 'dev', empty, '--port', '0']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(noManifest).toMatchObject({ code: 1 });
    expect((noManifest as { stderr: string }).stderr).toContain('has no manifest.json');
    await rm(empty, { recursive: true, force: true });
  });
});
