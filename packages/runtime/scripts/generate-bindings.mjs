#!/usr/bin/env node
// Regenerates src/generated/ (the guest-side TypeScript declarations of the WIT contract)
// with jco's guest type generator. The output is committed and never edited by hand;
// test/wit.test.ts fails when it is stale.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The WIT file the bindings are generated from (the repository's source of truth). */
export const WIT_FILE = resolve(here, '../../../wit/alga-extension.wit');

/** Where the committed bindings live. */
export const GENERATED_DIR = resolve(here, '../src/generated');

/**
 * Generates the guest declarations of `witFile` and returns them as `{ relativePath: text }`.
 * jco runs its generator as a WASI component whose preview2-shim starts with no filesystem
 * preopens (it would fail with `os error 44`), so the shim instance jco-transpile loads is
 * given `/` first.
 */
export async function generateBindings(witFile = WIT_FILE) {
  const requireFromJco = createRequire(
    createRequire(import.meta.url).resolve('@bytecodealliance/jco'),
  );
  const transpilerEntry = requireFromJco.resolve('@bytecodealliance/jco-transpile');
  const shimFs = createRequire(transpilerEntry).resolve(
    '@bytecodealliance/preview2-shim/filesystem',
  );
  const { _setPreopens } = await import(pathToFileURL(shimFs).href);
  _setPreopens({ '/': '/' });
  const { generateGuestTypes } = await import(pathToFileURL(transpilerEntry).href);
  const files = await generateGuestTypes(witFile, { worldName: 'extension' });
  const decoder = new TextDecoder();
  return Object.fromEntries(
    Object.entries(files)
      .map(([path, bytes]) => [path, decoder.decode(bytes)])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Replaces the contents of `outDir` with freshly generated bindings. */
export async function writeBindings(outDir = GENERATED_DIR, witFile = WIT_FILE) {
  const files = await generateBindings(witFile);
  await rm(outDir, { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    const target = join(outDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  return Object.keys(files);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await writeBindings();
  process.stdout.write(`wrote ${written.length} files to ${GENERATED_DIR}\n`);
}
