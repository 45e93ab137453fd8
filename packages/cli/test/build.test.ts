import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension, CliError } from '@alga/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { componentEntrySource } from '../src/build/bundle';
import { BuildCache } from '../src/build/cache';
import { checkToolchain } from '../src/build/toolchain';
import { generateWorld } from '../src/build/world';
import { loadStackMapper } from '../src/internal/stack-map';
import { cli } from './run-cli';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const KITCHEN = fixture('build-kitchen');

async function buildError(dir: string): Promise<CliError> {
  const error = await buildExtension({ dir }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('rejected before componentizing', () => {
  it('names each undeclared capability the handler reaches through ctx, with its location', async () => {
    const error = await buildError(fixture('build-undeclared'));
    expect(error.code).toBe('UNDECLARED_CAPABILITY');
    expect(error.message.split('\n')).toEqual([
      `src/handler.ts:3:23 uses ctx.storage, which needs capability 'cap:storage.kv' (Read and write a key-value store scoped to the tenant and extension.) — add it to manifest.json "capabilities"`,
      `src/handler.ts:8:25 uses ctx.secrets, which needs capability 'cap:secrets.get' (Read the install's secrets, decrypted by the host on demand.) — add it to manifest.json "capabilities"`,
    ]);
    expect(existsSync(`${fixture('build-undeclared')}/dist`)).toBe(false);
  });

  it('names each reference to the global fetch when cap:http.fetch is not declared', async () => {
    const error = await buildError(fixture('build-global-fetch'));
    expect(error.code).toBe('UNDECLARED_CAPABILITY');
    const needs = `which needs capability 'cap:http.fetch' (Make outbound HTTP requests to hosts on the install and operator allowlists.) — add it to manifest.json "capabilities"`;
    expect(error.message.split('\n')).toEqual([
      `src/handler.ts:6:10 uses fetch, ${needs}`,
      `src/handler.ts:11:42 uses fetch, ${needs}`,
      `src/handler.ts:12:22 uses fetch, ${needs}`,
    ]);
  });

  it('alga build exits 1 with the message and its code', async () => {
    const { code, stderr } = await cli(['build', fixture('build-undeclared')]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `src/handler.ts:8:25 uses ctx.secrets, which needs capability 'cap:secrets.get'`,
    );
    expect(stderr.trimEnd().endsWith('[UNDECLARED_CAPABILITY]')).toBe(true);
  });

  it('rejects a direct import of an undeclared WIT interface', async () => {
    const error = await buildError(fixture('build-raw-import'));
    expect(error.code).toBe('UNDECLARED_CAPABILITY');
    expect(error.message).toBe(
      `src/lib/egress.ts uses alga:extension/http, which needs capability 'cap:http.fetch' — add it to manifest.json "capabilities"`,
    );
  });

  it("says what to use instead of Node's built-in modules", async () => {
    const error = await buildError(fixture('build-node-builtin'));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toContain('src/handler.ts:1:30: Could not resolve "node:fs"');
    expect(error.message).toContain('src/handler.ts:4:22: Could not resolve "path"');
    expect(error.message).toContain(
      `("node:fs", "path": Node's built-in modules do not exist in an extension, which runs as a WebAssembly component; use ctx from @alga/runtime`,
    );
  });

  it('explains a trap of top-level code while the module is pre-initialized', async () => {
    const error = await buildError(fixture('build-top-level-random'));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toContain('the `componentize.wizer` function trapped');
    expect(error.message).toContain(
      "(the handler module's top-level code, and that of what it imports, runs once during alga build",
    );
    expect(error.message).not.toContain('wasm backtrace');
  });

  it("names the source line of an exception in the module's top-level code", async () => {
    const error = await buildError(fixture('build-top-level-throw'));
    expect(error.code).toBe('BUILD_FAILED');
    expect(error.message).toMatch(/src\/handler\.ts:4:\d+ Error: LIMIT must be a number/);
    expect(error.message).not.toContain('component.js:');
    expect(error.message).toContain("(the handler module's top-level code");
  });

  it('rejects an entry without a default export', async () => {
    const error = await buildError(fixture('build-no-default'));
    expect(error.code).toBe('NO_HANDLER_EXPORT');
    expect(error.message).toBe(
      'src/handler.ts has no default export; end it with `export default createHandler(async (req, ctx) => ...)` from @alga/runtime',
    );
  });

  it('rejects a default export without handle()', async () => {
    const error = await buildError(fixture('build-bad-default'));
    expect(error.code).toBe('NO_HANDLER_EXPORT');
    expect(error.message).toContain('the default export of src/handler.ts has no handle() method');
  });

  it('rejects a missing entry and a folder without manifest.json', async () => {
    const missing = await buildExtension({ dir: KITCHEN, entry: 'src/nope.ts' }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ code: 'NO_HANDLER_EXPORT' });
    expect((missing as Error).message).toContain('the entry src/nope.ts does not exist');
    const noManifest = await buildExtension({ dir: fixture('') }).catch((e: unknown) => e);
    expect(noManifest).toMatchObject({ code: 'USAGE' });
  });

  it('checks the toolchain range', () => {
    const ok = { version: '0.23.0', dir: '/x/componentize-js' };
    expect(() =>
      checkToolchain({
        '@bytecodealliance/componentize-js': ok,
        '@bytecodealliance/jco': { version: '1.35.2', dir: '/x/jco' },
      }),
    ).not.toThrow();
    expect(() =>
      checkToolchain({
        '@bytecodealliance/componentize-js': { version: '0.22.0', dir: '/x/componentize-js' },
        '@bytecodealliance/jco': { version: '1.35.0', dir: '/x/jco' },
      }),
    ).toThrowError(
      new CliError(
        'TOOLCHAIN_UNSUPPORTED',
        '@bytecodealliance/componentize-js 0.22.0 (at /x/componentize-js) is outside the supported range 0.23.x; install @bytecodealliance/componentize-js@0.23 next to @alga/cli',
      ),
    );
    expect(() =>
      checkToolchain({
        '@bytecodealliance/componentize-js': ok,
        '@bytecodealliance/jco': { version: '1.36.0', dir: '/x/jco' },
      }),
    ).toThrowError(/jco 1\.36\.0 .* outside the supported range 1\.35\.x/);
  });
});

describe('generated world and entry', () => {
  it('imports only the declared interfaces, in catalog order', () => {
    expect(generateWorld(['cap:secrets.get', 'cap:context.read', 'cap:secrets.get']).wit).toBe(
      [
        'package alga:extension@1.0.0;',
        '',
        '/// Generated by alga build from manifest.json capabilities: cap:context.read, cap:secrets.get.',
        'world component {',
        '  import context;',
        '  import secrets;',
        '  export handler;',
        '}',
        '',
      ].join('\n'),
    );
    expect(generateWorld(['cap:ui_proxy']).interfaces).toEqual(['ui-proxy']);
  });

  it('hands exactly those interfaces to the runtime', () => {
    expect(componentEntrySource('/p/src/handler.ts', ['context', 'ui-proxy'])).toBe(
      [
        "import { bindHandler } from '@alga/runtime/guest';",
        'import * as entry from "/p/src/handler.ts";',
        "import * as host0 from 'alga:extension/context@1.0.0';",
        "import * as host1 from 'alga:extension/ui-proxy@1.0.0';",
        'export const handler = bindHandler(entry, { "context": host0, "ui-proxy": host1 });',
        '',
      ].join('\n'),
    );
  });
});

describe('a real build', () => {
  beforeAll(async () => {
    // Shared with testing.test.ts through the build cache: componentized once per run.
    await buildExtension({ dir: KITCHEN });
  });

  it('writes the component and component.json with world, imports, toolchain and hashes', async () => {
    const metadataText = await readFile(`${KITCHEN}/dist/component.json`, 'utf8');
    const metadata = JSON.parse(metadataText) as Record<string, unknown>;
    const component = await readFile(`${KITCHEN}/dist/component.wasm`);
    expect([...component.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expect(metadata).toMatchObject({
      schema: 1,
      extension: { name: 'com.example.kitchen', version: '2.3.4' },
      entry: 'src/handler.ts',
      world: { name: 'component', package: 'alga:extension@1.0.0' },
      exports: ['alga:extension/handler@1.0.0'],
      features: { enabled: ['stdio', 'random', 'clocks'], disabled: ['http', 'fetch-event'] },
      toolchain: {
        '@bytecodealliance/componentize-js': '0.23.0',
        '@bytecodealliance/jco': '1.35.0',
      },
      sizes: { component: component.byteLength },
    });
    const imports = metadata.imports as string[];
    expect(imports.filter((name) => name.startsWith('alga:'))).toEqual([
      'alga:extension/config@1.0.0',
      'alga:extension/context@1.0.0',
      'alga:extension/http@1.0.0',
      'alga:extension/log@1.0.0',
      'alga:extension/metrics@1.0.0',
      'alga:extension/secrets@1.0.0',
      'alga:extension/storage@1.0.0',
      'alga:extension/types@1.0.0',
      'alga:extension/ui-proxy@1.0.0',
    ]);
    expect(
      imports.some((name) => name.startsWith('wasi:http') || name.startsWith('wasi:sockets')),
    ).toBe(false);
    expect(metadata.componentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(metadata.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('rebuilds an unchanged project from the cache in well under a second', async () => {
    await rm(`${KITCHEN}/dist`, { recursive: true, force: true });
    const again = await buildExtension({ dir: KITCHEN });
    expect(again.cached).toBe(true);
    expect(again.durationMs).toBeLessThan(1500);
    const component = await readFile(again.componentPath);
    expect(component.byteLength).toBe(again.metadata.sizes.component);
  });

  it('alga build prints a summary, or component.json with --json', async () => {
    const summary = await cli(['build', KITCHEN]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(
      /^built .*dist\/component\.wasm \(\d+\.\d MiB\) from src\/handler\.ts \(cached, \d+ ms\)\n/,
    );
    expect(summary.stdout).toContain(
      '  world: import config, context, http, log, metrics, secrets, storage, ui-proxy; export handler\n',
    );
    const asJson = await cli(['build', KITCHEN, '--json']);
    expect(JSON.parse(asJson.stdout)).toEqual(
      JSON.parse(await readFile(`${KITCHEN}/dist/component.json`, 'utf8')),
    );
  });
});

describe('BuildCache', () => {
  const entry = { component: new Uint8Array([0, 97, 115, 109]), metadata: '{"schema":1}\n' };

  it('builds a key once when several builds ask for it at the same time', async () => {
    const cache = new BuildCache(await mkdtemp(join(tmpdir(), 'alga-cache-')));
    let builds = 0;
    const build = async () => {
      builds += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return entry;
    };
    const results = await Promise.all([
      cache.getOrBuild('k1', build),
      cache.getOrBuild('k1', build),
      cache.getOrBuild('k1', build),
    ]);
    expect(builds).toBe(1);
    expect(results.map((r) => r.metadata)).toEqual([
      entry.metadata,
      entry.metadata,
      entry.metadata,
    ]);
    expect([...((await cache.get('k1'))?.component ?? [])]).toEqual([0, 97, 115, 109]);
    await rm(cache.dir, { recursive: true, force: true });
  });

  it('takes over a lock left by a builder that is gone', async () => {
    const cache = new BuildCache(await mkdtemp(join(tmpdir(), 'alga-cache-')));
    // PID 2^22 + 1 is above Linux's pid_max, so no such process exists.
    await writeFile(join(cache.dir, '.k2.lock'), `${2 ** 22 + 1}\n${hostname()}\n`);
    const started = Date.now();
    await cache.getOrBuild('k2', async () => entry);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(existsSync(join(cache.dir, '.k2.lock'))).toBe(false);
    await rm(cache.dir, { recursive: true, force: true });
  });
});

describe('stack mapping', () => {
  it('passes a text through unchanged when the component has no source map beside it', async () => {
    const mapStack = await loadStackMapper(
      join(tmpdir(), 'no-such-build', 'component.wasm'),
      tmpdir(),
    );
    expect(mapStack('handler_default<@component.js:667:36')).toBe(
      'handler_default<@component.js:667:36',
    );
  });
});
