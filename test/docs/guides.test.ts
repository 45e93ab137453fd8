import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingLines, parseGuide, runGuide } from './guide';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The environment of a reader's terminal: none of vitest's own variables, no colours. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    // One build cache with the other tests, so a handler componentizes once per source.
    ALGA_CACHE_DIR: join(REPO, 'node_modules/.cache/alga'),
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  for (const name of Object.keys(env)) {
    if (
      name.startsWith('VITEST') ||
      name === 'NODE_OPTIONS' ||
      name === 'TEST' ||
      name === 'PORT'
    ) {
      delete env[name];
    }
  }
  return env;
}

describe('the guide runner', () => {
  it('matches expected lines in order, with … for what differs between runs', () => {
    const output = 'a\nbuilt dist/x (1.2 s)\nb\n{"message":"Hi"}\n';
    expect(missingLines(['built dist/x (…)', '{"message":"Hi"}'], output)).toEqual([]);
    expect(missingLines(['{"message":"Hi"}', 'built dist/x (…)'], output)).toEqual([
      'built dist/x (…)',
    ]);
    expect(missingLines(['built dist/y (…)'], output)).toEqual(['built dist/y (…)']);
  });

  it('reads shell blocks, their output, and the directives', () => {
    const guide = parseGuide(
      [
        '<!-- doc-test: free-ports 4000 -->',
        '<!-- doc-test: skip -->',
        '```sh',
        'git clone x',
        '```',
        '```sh',
        'echo hi',
        '```',
        '',
        '```text',
        'hi',
        '```',
        '<!-- doc-test: background ready="up" -->',
        '```sh',
        'serve --port 4000',
        '```',
        '<!-- doc-test: background-output -->',
        '```text',
        'GET / 200',
        '```',
      ].join('\n'),
    );
    expect(guide.ports).toEqual([4000]);
    expect(
      guide.steps.map(({ kind, source, expected, ready }) => ({ kind, source, expected, ready })),
    ).toEqual([
      { kind: 'run', source: 'echo hi', expected: ['hi'], ready: undefined },
      {
        kind: 'background',
        source: 'serve --port 4000',
        expected: [],
        ready: 'up',
      },
      {
        kind: 'background-output',
        source: '',
        expected: ['GET / 200'],
        ready: undefined,
      },
    ]);
  });
});

describe.each(['docs/getting-started.md', 'docs/operations.md'])('%s', (file) => {
  let scratch: string;
  beforeAll(async () => {
    // A reader's folder holding their clone (`alga`), where the guide starts.
    scratch = await mkdtemp(join(tmpdir(), 'alga-guide-'));
    await symlink(REPO, join(scratch, 'alga'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('works as written, command by command', async () => {
    const guide = parseGuide(await readFile(join(REPO, file), 'utf8'));
    expect(guide.steps.length).toBeGreaterThan(4);
    await runGuide(guide, { cwd: scratch, env: terminalEnv(), timeoutMs: 600_000 });
  });
});
