import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExtension } from '@alga/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileCoreModules } from '../src/runner/engine/compile';
import { Engine } from '../src/runner/engine/engine';
import { prepareGlue, TranspileCache } from '../src/runner/engine/transpile-cache';
import { fixtureDir } from './helpers/runner-fixtures';

describe('transpile cache', () => {
  let component: Uint8Array;
  const contentHash = `sha256:${'d'.repeat(64)}`;

  beforeAll(async () => {
    const built = await buildExtension({ dir: fixtureDir('kitchen') });
    component = await readFile(built.componentPath);
  });

  it('transpiles once per content hash: a restarted process reads it back from disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const first = await new TranspileCache(dataDir).get(contentHash, component);
    expect(first.transpiled).toBe(true);
    expect(first.gluePath).toMatch(/transpiled\/jco-\d+\.\d+\.\d+-g\d+\/d{64}\/component\.mjs$/);
    const restarted = await new TranspileCache(dataDir).get(contentHash, component);
    expect(restarted.transpiled).toBe(false);
    expect(restarted.coreModules).toEqual(first.coreModules);
    const modules = await compileCoreModules(restarted.coreModules, 1024);
    expect(modules.map((module) => module.name)).toEqual(
      first.coreModules.map((file) => file.name),
    );
  });

  it('writes the glue with jco debug logging silenced and without its throwing JSPI probes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const { gluePath } = await new TranspileCache(dataDir).get(contentHash, component);
    const glue = await readFile(gluePath, 'utf8');
    expect(glue).toContain('const _debugLog = () => {};');
    expect(glue).not.toContain('JCO_DEBUG');
    // Only the helper itself reaches WebAssembly.promising: jco's own calls throw without JSPI.
    expect(glue.split('WebAssembly.promising(').length - 1).toBe(1);
    expect(glue).toContain('realloc0Async = _algaPromisingOrSelf(');
    const untouched = new TextEncoder().encode('export const x = 1;');
    expect(prepareGlue(untouched)).toBe(untouched);
  });

  it('transpiles a component once for every bundle that carries it (a manifest-only change hits)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const engine = new Engine({
      dataDir,
      source: async () => ({ component, extensionId: 'com.acme.kitchen', version: '1.0.0' }),
    });
    const first = await engine.program(`sha256:${'1'.repeat(64)}`, 1024);
    const second = await engine.program(`sha256:${'2'.repeat(64)}`, 1024);
    expect([first.transpiled.transpiled, second.transpiled.transpiled]).toEqual([true, false]);
    expect(second.transpiled.gluePath).toBe(first.transpiled.gluePath);
    expect(second.id).not.toBe(first.id);
  });

  it('transpiles again when the cached glue was altered, and refuses an altered core module', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const first = await new TranspileCache(dataDir).get(contentHash, component);
    await appendFile(first.gluePath, '\nglobalThis.injected = true;\n');
    const again = await new TranspileCache(dataDir).get(contentHash, component);
    expect(again.transpiled).toBe(true);
    const core = again.coreModules[0];
    if (core === undefined) throw new Error('no core module');
    await appendFile(core.path, new Uint8Array([0]));
    await expect(compileCoreModules(again.coreModules, 1024)).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
  });
});
