import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scaffoldExtension } from '@alga/cli';
import { parseManifest } from '@alga/manifest';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ALGA_BIN = join(REPO, 'packages/cli/bin/alga.js');

let scratch: string;
beforeAll(async () => {
  // Outside the repository, like an author's own folder.
  scratch = await mkdtemp(join(tmpdir(), 'alga-new-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('scaffoldExtension', () => {
  it('writes a basic project linked to this checkout', async () => {
    const result = await scaffoldExtension({ dir: join(scratch, 'Ticket Tools') });
    expect(result.deps).toBe('link');
    expect(result.files).toEqual([
      '.gitignore',
      'README.md',
      'manifest.json',
      'package.json',
      'src/handler.ts',
      'test/handler.test.ts',
      'tsconfig.json',
      'vitest.config.ts',
    ]);
    const pkg = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'ticket-tools',
      type: 'module',
      scripts: { build: 'alga build', test: 'vitest run' },
      dependencies: { '@alga/runtime': `file:${join(REPO, 'packages/runtime')}` },
      devDependencies: { '@alga/cli': `file:${join(REPO, 'packages/cli')}`, vitest: '4.1.12' },
    });
    const manifest = parseManifest(
      JSON.parse(await readFile(join(result.dir, 'manifest.json'), 'utf8')),
    );
    expect(manifest).toMatchObject({
      name: 'com.example.ticket-tools',
      displayName: 'Ticket Tools',
    });
    expect(manifest.capabilities).toEqual(['cap:context.read', 'cap:log.emit', 'cap:config.read']);
    // `alga dev` keeps the local install's secrets and signing key in .alga/.
    const ignored = (await readFile(join(result.dir, '.gitignore'), 'utf8')).split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules/', 'dist/', '.alga/']));
  });

  it('can link to npm versions instead, and refuses a folder that is not empty', async () => {
    const result = await scaffoldExtension({
      dir: join(scratch, 'published'),
      deps: 'registry',
      name: '@acme/tools',
    });
    const pkg = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toEqual({ '@alga/runtime': '0.1.0' });
    expect(JSON.parse(await readFile(join(result.dir, 'manifest.json'), 'utf8')).name).toBe(
      '@acme/tools',
    );
    await expect(scaffoldExtension({ dir: result.dir })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(
      scaffoldExtension({ dir: join(scratch, 'x'), template: 'react' as never }),
    ).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('reports a failed system call as one IO line, not a stack trace', async () => {
    const blocker = join(scratch, 'a-file');
    await writeFile(blocker, 'not a folder');
    const target = join(blocker, 'ext');
    const result = await cli(['new', target]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `alga: ENOTDIR: not a directory, mkdir '${target}' [IO]\n`,
    });
  });

  it('adds an iframe page on @alga/iframe-sdk with the ui template, and it bundles', async () => {
    const result = await scaffoldExtension({ dir: join(scratch, 'with-ui'), template: 'ui' });
    expect(result.files).toEqual(expect.arrayContaining(['ui/index.html', 'ui/app.ts']));
    const manifest = parseManifest(
      JSON.parse(await readFile(join(result.dir, 'manifest.json'), 'utf8')),
    );
    expect(manifest.ui?.iframe).toMatchObject({ entry: 'ui/index.html', title: 'With Ui' });
    expect(manifest.assets).toEqual({ ui: 'ui' });
    const pkg = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8'));
    expect(pkg.scripts['build:ui']).toContain('--conditions=@alga/source');
    expect(await readFile(join(result.dir, 'ui/index.html'), 'utf8')).toContain(
      '<title>With Ui</title>',
    );
    const bundled = await build({
      entryPoints: [join(result.dir, 'ui/app.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      conditions: ['@alga/source'],
      nodePaths: [join(REPO, 'node_modules')],
      logLevel: 'silent',
    });
    expect(bundled.outputFiles[0]?.text).toContain('callProxy');
  });
});

describe('alga new, npm install, alga build, npm test (outside the repository)', () => {
  it('produces a component the testing harness runs', { timeout: 600_000 }, async () => {
    const project = join(scratch, 'my-ext');
    // One cache shared with the other tests, so only the first run componentizes.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ALGA_CACHE_DIR: join(REPO, 'node_modules/.cache/alga'),
      NO_COLOR: '1',
    };
    delete env.NODE_OPTIONS;
    delete env.VITEST;
    delete env.VITEST_WORKER_ID;
    delete env.VITEST_POOL_ID;
    delete env.TEST;
    const created = await run(process.execPath, [ALGA_BIN, 'new', 'my-ext'], { cwd: scratch, env });
    expect(created.stdout).toContain('Created my-ext (8 files, @alga/* linked to');

    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      env,
    });
    const built = await run('npx', ['alga', 'build'], { cwd: project, env });
    expect(built.stdout).toMatch(
      /^built dist\/component\.wasm \(\d+\.\d MiB\) from src\/handler\.ts/,
    );
    expect(built.stdout).toContain('world: import config, context, log; export handler');
    const metadata = JSON.parse(await readFile(join(project, 'dist/component.json'), 'utf8'));
    expect(metadata.capabilities).toEqual(['cap:context.read', 'cap:log.emit', 'cap:config.read']);

    const tested = await run('npm', ['test'], { cwd: project, env });
    expect(tested.stdout).toMatch(/Tests\s+2 passed \(2\)/);

    // The same project rejects a handler that reaches an undeclared capability, naming it.
    const handler = join(project, 'src/handler.ts');
    const source = await readFile(handler, 'utf8');
    await writeFile(
      handler,
      source.replace(
        "ctx.log.info('greeted', { name });",
        "ctx.log.info('greeted', { name, key: await ctx.secrets.get('apiKey') });",
      ),
    );
    const rejected = await run('npx', ['alga', 'build'], { cwd: project, env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(rejected?.code).toBe(1);
    expect(rejected?.stderr).toMatch(
      /alga: src\/handler\.ts:\d+:\d+ uses ctx\.secrets, which needs capability 'cap:secrets\.get' .* add it to manifest\.json "capabilities" \[UNDECLARED_CAPABILITY\]/,
    );
  });
});
