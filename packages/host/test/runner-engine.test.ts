import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension } from '@alga/cli';
import { transpile } from '@bytecodealliance/jco';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/bundle/hash';
import { compileAhead, compileCoreModules } from '../src/runner/engine/compile';
import { componentShape, shapeSkeleton } from '../src/runner/engine/component-shape';
import { applyDataImage, splitDataImage } from '../src/runner/engine/data-image';
import { Engine } from '../src/runner/engine/engine';
import {
  type CoreModuleFile,
  prepareGlue,
  TranspileCache,
  type TranspiledComponent,
} from '../src/runner/engine/transpile-cache';
import { fixtureDir } from './helpers/runner-fixtures';
import { coreModule, section } from './helpers/wasm';

/**
 * A transpile and its files once they are on disk (`get` returns before they are, so the
 * modules compile from memory meanwhile).
 */
async function transpiled(
  dataDir: string,
  digest: string,
  bytes: Uint8Array,
): Promise<TranspiledComponent & { readonly written: readonly CoreModuleFile[] }> {
  const result = await new TranspileCache(dataDir).get(digest, bytes);
  return { ...result, written: await result.files };
}

describe('transpile cache', () => {
  let component: Uint8Array;
  const contentHash = `sha256:${'d'.repeat(64)}`;

  beforeAll(async () => {
    const built = await buildExtension({ dir: fixtureDir('kitchen') });
    component = await readFile(built.componentPath);
  });

  it('transpiles once per content hash: a restarted process reads it back from disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const first = await transpiled(dataDir, contentHash, component);
    expect(first.origin).toBe('jco');
    // The glue of the component's shape, which every later build of that shape loads too.
    expect(first.gluePath).toMatch(
      /transpiled\/jco-\d+\.\d+\.\d+-g\d+\/shapes\/[0-9a-f]{64}\/component\.mjs$/,
    );
    expect(first.written[0]?.path).toMatch(/transpiled\/jco-\d+\.\d+\.\d+-g\d+\/d{64}\//);
    const restarted = await transpiled(dataDir, contentHash, component);
    expect(restarted.origin).toBe('disk');
    expect(restarted.gluePath).toBe(first.gluePath);
    expect(restarted.written).toEqual(first.written);
    // Read back, the core modules are cut from the verified component in hand, as when first
    // written: nothing large is read from disk or hashed again.
    const digests = (result: TranspiledComponent) =>
      result.coreModules.map((module) => [
        module.name,
        'bytes' in module ? sha256Hex(module.bytes) : 'a file',
      ]);
    const writtenDigests = first.written.map((file) => [file.name, file.sha256]);
    expect(digests(first)).toEqual(writtenDigests);
    expect(digests(restarted)).toEqual(writtenDigests);
    const modules = await compileCoreModules(restarted.coreModules, 1024);
    expect(modules.map((module) => module.name)).toEqual(
      first.coreModules.map((file) => file.name),
    );
  });

  it('writes the glue with jco debug logging silenced and without its throwing JSPI probes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const { gluePath } = await transpiled(dataDir, contentHash, component);
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
    await first.files;
    const second = await engine.program(`sha256:${'2'.repeat(64)}`, 1024);
    expect([first.transpiled.origin, second.transpiled.origin]).toEqual(['jco', 'disk']);
    expect(second.transpiled.gluePath).toBe(first.transpiled.gluePath);
    expect(second.id).not.toBe(first.id);
    // Isolates get the glue as a script made once, not a file to read and rewrite each.
    expect(first.glueScript?.source).toMatch(/^\(function \(\) \{\n/);
    expect(first.glueScript?.source).toContain('function instantiate(');
    expect(second.glueScript).toBe(first.glueScript);
  });

  it("gives the source's buffer back once, only after the program is built and its files are written", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    let releases = 0;
    const engine = new Engine({
      dataDir,
      source: async () => {
        const buffer = new Uint8Array(component);
        return {
          component: buffer,
          extensionId: 'com.acme.kitchen',
          version: '1.0.0',
          // As a reused read buffer would be: the next bundle is read over it.
          release: () => {
            releases++;
            buffer.fill(0);
          },
        };
      },
    });
    const program = await engine.program(`sha256:${'4'.repeat(64)}`, 1024);
    const files = await program.files;
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toBe(1);
    for (const file of files) expect(sha256Hex(await readFile(file.path))).toBe(file.sha256);
    const fromDisk = await compileCoreModules(files, 1024);
    expect(fromDisk.map((module) => module.name)).toEqual(
      program.modules.map((module) => module.name),
    );
  });

  it('loads the copy of the glue that matches its digest, transpiles again when none does, and refuses an altered core module', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
    const first = await transpiled(dataDir, contentHash, component);
    const ownCopy = join(dirname(first.written[0]?.path ?? ''), 'component.mjs');
    await appendFile(first.gluePath, '\nglobalThis.injected = true;\n');
    const fallback = await transpiled(dataDir, contentHash, component);
    expect(fallback.origin).toBe('disk');
    expect(fallback.gluePath).toBe(ownCopy);
    // Without the shape's record, the core modules are the files, checked as they are read.
    expect(fallback.coreModules.some((module) => 'bytes' in module)).toBe(false);
    await appendFile(ownCopy, '\nglobalThis.injected = true;\n');
    const again = await transpiled(dataDir, contentHash, component);
    expect(again.origin).toBe('jco');
    expect(await readFile(again.gluePath, 'utf8')).not.toContain('injected');
    const restarted = await transpiled(dataDir, contentHash, component);
    expect(restarted.origin).toBe('disk');
    const core = restarted.written[0];
    if (core === undefined) throw new Error('no core module');
    await appendFile(core.path, new Uint8Array([0]));
    // The files are what a child process reads.
    await expect(compileCoreModules(restarted.written, 1024)).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
  });

  describe('components of one shape', () => {
    let variant: Uint8Array;
    let otherShape: Uint8Array;

    beforeAll(async () => {
      // A new build of the kitchen with different code (a copy inside the repo, so its imports
      // resolve): what a new version of an extension with the same capabilities looks like.
      const cache = fileURLToPath(new URL('../node_modules/.cache/alga-test/', import.meta.url));
      const dir = join(cache, 'runner-kitchen-variant');
      await mkdir(cache, { recursive: true });
      await cp(fixtureDir('kitchen'), dir, {
        recursive: true,
        filter: (source) => !source.includes(`${fixtureDir('kitchen')}/dist`),
      });
      const handler = join(dir, 'src', 'handler.ts');
      const source = await readFile(handler, 'utf8');
      await writeFile(handler, source.replace('let calls = 0;', 'let calls = 1000;'));
      variant = await readFile((await buildExtension({ dir })).componentPath);
      const statuses = fileURLToPath(new URL('./fixtures/gateway-statuses/', import.meta.url));
      otherShape = await readFile((await buildExtension({ dir: statuses })).componentPath);
    });

    it('share a shape key exactly when only core module code differs', () => {
      const kitchen = componentShape(component);
      expect(kitchen?.key).toMatch(/^[0-9a-f]{64}$/);
      expect(componentShape(variant)?.key).toBe(kitchen?.key);
      expect(componentShape(otherShape)?.key).not.toBe(kitchen?.key);
      expect(componentShape(new TextEncoder().encode('not wasm'))).toBeUndefined();
      expect(componentShape(component.subarray(0, component.byteLength - 7))).toBeUndefined();
    });

    it("are learned from jco's transpile of a skeleton: the glue and files jco writes for the whole component", async () => {
      const whole = await transpile(component, {
        name: 'component',
        instantiation: 'sync',
        emitTypescriptDeclarations: false,
        quiet: true,
      } as Parameters<typeof transpile>[1]);
      const learned = await transpiled(
        await mkdtemp(join(tmpdir(), 'alga-transpile-')),
        contentHash,
        component,
      );
      expect(learned.origin).toBe('jco');
      expect(learned.gluePath).toContain('/shapes/');
      expect(await readFile(learned.gluePath)).toEqual(
        Buffer.from(prepareGlue(whole.files['component.js'] as Uint8Array)),
      );
      const wholeModules = Object.entries(whole.files)
        .filter(([name]) => name.endsWith('.wasm'))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, bytes]) => [name, sha256Hex(bytes as Uint8Array)]);
      expect(learned.written.map((file) => [file.name, file.sha256])).toEqual(wholeModules);
    });

    it('have a skeleton of small, valid core modules that link as theirs do and differ from one another', async () => {
      const skeleton = shapeSkeleton(component);
      const own = componentShape(component)?.slots ?? [];
      expect(skeleton?.slots).toHaveLength(own.length);
      expect(own.length).toBeGreaterThan(1);
      expect(skeleton?.bytes.byteLength).toBeLessThan(component.byteLength / 50);
      for (const [slot, bytes] of (skeleton?.slots ?? []).entries()) {
        const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
        const original = await WebAssembly.compile(own[slot] as Uint8Array<ArrayBuffer>);
        expect(WebAssembly.Module.imports(module)).toEqual(WebAssembly.Module.imports(original));
        expect(WebAssembly.Module.exports(module)).toEqual(WebAssembly.Module.exports(original));
      }
      const distinct = new Set(skeleton?.slots.map((bytes) => sha256Hex(bytes)));
      expect(distinct.size).toBe(own.length);
      expect(shapeSkeleton(component.subarray(0, component.byteLength - 7))).toBeUndefined();
    });

    it('are written from the recorded glue and their own core modules, byte for byte what jco writes', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      const variantDigest = `sha256:${'e'.repeat(64)}`;
      expect((await transpiled(dataDir, contentHash, component)).origin).toBe('jco');
      const reused = await transpiled(dataDir, variantDigest, variant);
      expect(reused.origin).toBe('shape');

      const fresh = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      const byJco = await transpiled(fresh, variantDigest, variant);
      expect(byJco.origin).toBe('jco');
      expect(reused.written.map((file) => [file.name, file.sha256])).toEqual(
        byJco.written.map((file) => [file.name, file.sha256]),
      );
      expect(await readFile(reused.gluePath)).toEqual(await readFile(byJco.gluePath));
      // The variant's own code, not the kitchen's: its main core module differs.
      const kitchen = await transpiled(dataDir, contentHash, component);
      expect(reused.written[0]?.sha256).not.toBe(kitchen.written[0]?.sha256);
    });

    it('are answered from the glue in hand while the record is written, and go to jco again when it cannot be', async () => {
      const learnedIn = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      const learned = await transpiled(learnedIn, contentHash, component);
      const shapes = relative(learnedIn, dirname(dirname(learned.gluePath)));
      const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      // A file where the shape records go: no record can be written.
      await mkdir(dirname(join(dataDir, shapes)), { recursive: true });
      await writeFile(join(dataDir, shapes), 'not a folder');
      const cache = new TranspileCache(dataDir);
      const first = await cache.get(contentHash, component);
      expect(first.origin).toBe('jco');
      expect(Buffer.from(first.glue)).toEqual(await readFile(learned.gluePath));
      await expect(first.files).rejects.toThrow();
      expect((await cache.get(`sha256:${'e'.repeat(64)}`, variant)).origin).toBe('jco');
    });

    it('go to jco when the shape differs or its record was altered', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      await transpiled(dataDir, contentHash, component);
      const other = await transpiled(dataDir, `sha256:${'f'.repeat(64)}`, otherShape);
      expect(other.origin).toBe('jco');
      const shapes = dirname(dirname(other.gluePath));
      const recorded = await readdir(shapes);
      expect(recorded).toHaveLength(2);
      for (const key of recorded) await appendFile(join(shapes, key, 'component.mjs'), '\n//x\n');
      const again = await transpiled(dataDir, `sha256:${'e'.repeat(64)}`, variant);
      expect(again.origin).toBe('jco');
    });

    it('compile to one shared module without their data, which each instance gets written back', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'alga-transpile-'));
      const components = new Map([
        [`sha256:${'a'.repeat(64)}`, component],
        [`sha256:${'b'.repeat(64)}`, variant],
      ]);
      const engine = new Engine({
        dataDir,
        source: async (hash) => ({
          component: components.get(hash) as Uint8Array,
          extensionId: 'com.acme.kitchen',
          version: '1.0.0',
        }),
      });
      const first = await engine.program(`sha256:${'a'.repeat(64)}`, 1024);
      const second = await engine.program(`sha256:${'b'.repeat(64)}`, 1024);
      const [main, other] = [first.modules[0], second.modules[0]];
      expect((main?.image?.layout.length ?? 0) > 0).toBe(true);
      expect(other?.module === main?.module).toBe(true);
      expect(
        Buffer.from(other?.image?.bytes ?? []).equals(Buffer.from(main?.image?.bytes ?? [])),
      ).toBe(false);

      // The memory an instance starts with is byte for byte what instantiating the whole module gives.
      const whole = await readFile(((await first.files)[0] as CoreModuleFile).path);
      const split = splitDataImage(whole);
      if (split === undefined) throw new Error('the main core module was not split');
      const stubs = (module: WebAssembly.Module): WebAssembly.Imports => {
        const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
        for (const entry of WebAssembly.Module.imports(module)) {
          imports[entry.module] ??= {};
          const table = imports[entry.module] as Record<string, WebAssembly.ImportValue>;
          if (entry.kind === 'function') table[entry.name] = () => 0;
          else if (entry.kind === 'table')
            table[entry.name] = new WebAssembly.Table({ initial: 1024, element: 'anyfunc' });
          else if (entry.kind === 'global')
            table[entry.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
          else table[entry.name] = new WebAssembly.Memory({ initial: 1 });
        }
        return imports;
      };
      const wholeModule = await WebAssembly.compile(whole);
      const expected = new WebAssembly.Instance(wholeModule, stubs(wholeModule));
      const codeModule = await WebAssembly.compile(Buffer.concat(split.code));
      const rebuilt = new WebAssembly.Instance(codeModule, stubs(codeModule));
      applyDataImage(rebuilt, split.image);
      const memoryOf = (instance: WebAssembly.Instance) =>
        new Uint8Array((instance.exports[split.image.memoryExport] as WebAssembly.Memory).buffer);
      expect(Buffer.from(memoryOf(rebuilt)).equals(memoryOf(expected))).toBe(true);
      expect(WebAssembly.Module.exports(codeModule)).toEqual(
        WebAssembly.Module.exports(wholeModule),
      );
    });
  });
});

/**
 * A core module with an exported memory, a 256 KiB custom section whose middle byte is `marker`
 * (outside the sampled ends of the module) and one active data segment holding `data`.
 */
function moduleWith(marker: number, data: string): Uint8Array<ArrayBuffer> {
  const name = [...new TextEncoder().encode('pad')];
  const payload = new Uint8Array(256 * 1024);
  payload[128 * 1024] = marker;
  const dataBytes = [...new TextEncoder().encode(data)];
  const memoryName = [...new TextEncoder().encode('memory')];
  return coreModule(
    section(5, [1, 0, 1]),
    section(7, [1, memoryName.length, ...memoryName, 2, 0]),
    section(0, [name.length, ...name, ...payload]),
    section(11, [1, 0, 0x41, 16, 0x0b, dataBytes.length, ...dataBytes]),
  );
}

/** A core module with an exported memory and a 256 KiB custom section: no data, so it compiles whole. */
function dataLessModule(marker: number): Uint8Array<ArrayBuffer> {
  const name = [...new TextEncoder().encode('pad')];
  const payload = new Uint8Array(256 * 1024);
  payload[0] = marker;
  const memoryName = [...new TextEncoder().encode('memory')];
  return coreModule(
    section(5, [1, 0, 1]),
    section(7, [1, memoryName.length, ...memoryName, 2, 0]),
    section(0, [name.length, ...name, ...payload]),
  );
}

describe('compileCoreModules', () => {
  it('shares a compiled module only between modules whose code is the same byte for byte', async () => {
    const [first, otherData, otherMiddle] = await Promise.all([
      compileCoreModules([{ name: 'm', bytes: moduleWith(1, 'first') }], 4),
      compileCoreModules([{ name: 'm', bytes: moduleWith(1, 'other') }], 4),
      compileCoreModules([{ name: 'm', bytes: moduleWith(2, 'first') }], 4),
    ]);
    expect(otherData[0]?.module).toBe(first[0]?.module);
    // Same length and the same 64 KiB at each end: only the comparison of every byte tells them apart.
    expect(otherMiddle[0]?.module).not.toBe(first[0]?.module);
    expect(new TextDecoder().decode(otherData[0]?.image?.bytes.slice())).toBe('other');
  });

  it('keeps data images in shared memory, so isolates are sent the bytes without a copy', async () => {
    const [compiled] = await compileCoreModules([{ name: 'm', bytes: moduleWith(3, 'data') }], 4);
    expect(compiled?.image?.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(compiled?.image?.layout.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('caps the memory of a module compiled without its data, which it imports under the cap', async () => {
    const [compiled] = await compileCoreModules([{ name: 'm', bytes: moduleWith(4, 'data') }], 2);
    if (compiled?.image === undefined) throw new Error('the module was not split');
    expect(compiled.image.memory).toEqual({ initial: 1, maximum: 2 });
    expect(WebAssembly.Module.imports(compiled.module)).toEqual([
      { module: 'alga:engine', name: 'memory', kind: 'memory' },
    ]);
    const over = new WebAssembly.Memory({ initial: 1, maximum: 3 });
    expect(
      () => new WebAssembly.Instance(compiled.module, { 'alga:engine': { memory: over } }),
    ).toThrow(WebAssembly.LinkError);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    const instance = new WebAssembly.Instance(compiled.module, { 'alga:engine': { memory } });
    expect(instance.exports.memory).toBe(memory);
    expect(memory.grow(1)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    await expect(
      compileCoreModules([{ name: 'm', bytes: moduleWith(4, 'data') }], 0),
    ).rejects.toMatchObject({
      code: 'MEMORY_LIMIT',
      message: expect.stringContaining('over the cap'),
    });
  });

  it('takes the compile started ahead for the same bytes under the same cap, and only then', async () => {
    const bytes = dataLessModule(1);
    const ahead = compileAhead([bytes], 4);
    const early = await ahead.started[0]?.compiled;
    const [taken] = await compileCoreModules([{ name: 'm', bytes }], 4, ahead);
    const [otherCap] = await compileCoreModules([{ name: 'm', bytes }], 3, ahead);
    const [copy] = await compileCoreModules([{ name: 'm', bytes: bytes.slice() }], 4, ahead);
    expect(early?.module).toBeInstanceOf(WebAssembly.Module);
    expect(taken?.name).toBe('m');
    expect(taken?.module).toBe(early?.module);
    expect(otherCap?.module).not.toBe(early?.module);
    expect(copy?.module).not.toBe(early?.module);
  });

  it('reports a compile started ahead that failed under the name it was asked for, and nothing for one never asked for', async () => {
    const broken = (marker: number) => {
      const bytes = dataLessModule(marker);
      bytes[8] = 0x63;
      return bytes;
    };
    const asked = broken(2);
    const ahead = compileAhead([asked, broken(3)], 4);
    await expect(
      compileCoreModules([{ name: 'late', bytes: asked }], 4, ahead),
    ).rejects.toMatchObject({ code: 'LOAD_FAILED', message: expect.stringContaining('late') });
    // The other one's rejection must not surface as unhandled (vitest fails the run on one).
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('reports a small module that does not compile as LOAD_FAILED', async () => {
    const broken = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x63, 0x00]);
    await expect(compileCoreModules([{ name: 'broken', bytes: broken }], 4)).rejects.toMatchObject({
      code: 'LOAD_FAILED',
      message: expect.stringContaining('broken'),
    });
  });
});
