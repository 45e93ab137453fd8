import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = 'examples/host-app/src/express-host.ts';

describe('docs/host-integration.md', () => {
  it('shows the Express example exactly as the file the test runs', async () => {
    const doc = await readFile(join(REPO, 'docs/host-integration.md'), 'utf8');
    const block = new RegExp(
      `<!-- doc-test: file ${EXAMPLE.replaceAll('.', '\\.')} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\`\\n`,
    ).exec(doc)?.[1];
    expect(block).toBe(await readFile(join(REPO, EXAMPLE), 'utf8'));
  });
});

describe('the Express host example', () => {
  let scratch: string;
  let app: ChildProcess;
  let origin: string;
  let output = '';

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'alga-express-'));
    await writeFile(join(scratch, 'trust.json'), JSON.stringify({ keys: [] }));
    app = spawn(process.execPath, ['--conditions=@alga/source', '--import', 'tsx', EXAMPLE], {
      cwd: REPO,
      env: {
        ...process.env,
        PORT: '0',
        ALGA_DATA_DIR: join(scratch, 'data'),
        SIGNING_TRUST_BUNDLE: join(scratch, 'trust.json'),
        ALGA_SECRETS_KEY: `k1:${randomBytes(32).toString('base64')}`,
        ALGA_EXAMPLE_SESSIONS: JSON.stringify({
          s1: { tenantId: 'acme', userId: 'ada', admin: true },
          s2: { tenantId: 'acme', userId: 'bob', admin: false },
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    app.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const deadline = Date.now() + 60_000;
    while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(output)) {
      if (app.exitCode !== null || Date.now() > deadline)
        throw new Error(`the example did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] as string;
  }, 90_000);

  afterAll(async () => {
    if (app !== undefined && app.exitCode === null) app.kill('SIGKILL');
    await rm(scratch, { recursive: true, force: true });
  });

  const get = async (path: string, sid?: string) => {
    const response = await fetch(
      `${origin}${path}`,
      sid === undefined ? {} : { headers: { cookie: `sid=${sid}` } },
    );
    return {
      status: response.status,
      body: (await response.json()) as { error?: { code?: string } },
    };
  };

  it('refuses a caller without a session, and resolves the tenant from one', async () => {
    expect(await get('/api/ext/com.example.hello/hello')).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED' } },
    });
    expect(await get('/api/ext/com.example.hello/hello', 's1')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_INSTALLED' } },
    });
  });

  it('serves the settings routes to the tenant admins only', async () => {
    expect(await get('/api/v1/installs/acme/com.example.hello/settings', 's1')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_INSTALLED' } },
    });
    expect((await get('/api/v1/installs/acme/com.example.hello/settings', 's2')).status).toBe(403);
    expect((await get('/api/v1/installs/globex/com.example.hello/settings', 's1')).status).toBe(
      403,
    );
  });

  it('stops on SIGTERM after closing the runner and the store', async () => {
    app.kill('SIGTERM');
    const [code] = await once(app, 'exit');
    expect(code).toBe(0);
  });
});
