import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot } from '../build/cache';
import { cliPackageDir, findPackageJson } from '../build/paths';
import { TestingError } from './errors';

/** A component transpiled by jco into ESM plus core modules, ready for a worker to load. */
export interface Transpiled {
  /** Folder holding `component.js` and its `*.core*.wasm` files. */
  readonly dir: string;
  /** `sha256:` of the component bytes. */
  readonly componentHash: string;
  /** The import names the component needs, without versions (`alga:extension/log`, `wasi:io/streams`). */
  readonly imports: readonly string[];
}

interface JcoApi {
  transpile(
    component: Uint8Array,
    options: { name: string; instantiation: { tag: 'async' }; noTypescript: boolean },
  ): Promise<{ files: Record<string, Uint8Array>; imports: string[] }>;
}

/** The default transpile cache folder: `transpile/` under the alga cache root (see `ALGA_CACHE_DIR`). */
export function defaultTranspileCacheDir(from: string): string {
  return join(cacheRoot(from), 'transpile');
}

async function loadJco(): Promise<JcoApi> {
  const manifestPath = findPackageJson('@bytecodealliance/jco', cliPackageDir());
  if (manifestPath === undefined) {
    throw new TestingError(
      'LOAD_FAILED',
      '@bytecodealliance/jco is not installed next to @alga/cli; run npm install',
    );
  }
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    exports?: { '.'?: { default?: string } };
  };
  const entry = manifest.exports?.['.']?.default ?? './dist/api.js';
  return (await import(pathToFileURL(join(dirname(manifestPath), entry)).href)) as JcoApi;
}

/**
 * Transpiles `component` once per content hash into `cacheDir/<hash>/` (instantiation mode, so
 * the harness supplies every import itself). Entries are written aside and renamed into place.
 */
export async function transpileCached(
  component: Uint8Array,
  cacheDir: string,
): Promise<Transpiled> {
  const hex = createHash('sha256').update(component).digest('hex');
  const dir = join(cacheDir, hex);
  const indexFile = join(dir, 'imports.json');
  if (existsSync(indexFile)) {
    const imports = JSON.parse(await readFile(indexFile, 'utf8')) as string[];
    return { dir, componentHash: `sha256:${hex}`, imports };
  }
  const jco = await loadJco();
  let output: Awaited<ReturnType<JcoApi['transpile']>>;
  try {
    output = await jco.transpile(component, {
      name: 'component',
      instantiation: { tag: 'async' },
      noTypescript: true,
    });
  } catch (cause) {
    throw new TestingError(
      'LOAD_FAILED',
      `jco could not transpile the component: ${(cause as Error).message}`,
      { cause },
    );
  }
  const staging = join(cacheDir, `.${hex}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, 'package.json'), '{"type":"module"}\n');
    for (const [name, bytes] of Object.entries(output.files)) {
      if (name.endsWith('.d.ts')) continue;
      await writeFile(join(staging, name), bytes);
    }
    await writeFile(join(staging, 'imports.json'), JSON.stringify(output.imports));
    await rename(staging, dir);
  } catch (error) {
    if (!existsSync(indexFile)) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, componentHash: `sha256:${hex}`, imports: output.imports };
}
