#!/usr/bin/env node
// Checks what `npm publish` would ship for every public package under packages/: builds it, asks
// npm which files the tarball holds, and fails when a `main`, `types`, `bin` or `exports` target
// is missing from it, when built code imports a package its package.json does not declare, or
// when the built entry (or the `alga` binary) does not load in plain Node; then it installs the
// tarballs as a user would and runs an extension's life through them (consumer-check.mjs).
// The builds are removed
// afterwards (a source checkout runs from sources, and `alga` prefers a dist/ it finds), unless
// `--keep-dist` is given.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConsumer } from './consumer-check.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const keepDist = process.argv.includes('--keep-dist');
/** The condition that points a source checkout at TypeScript sources; never published. */
const SOURCE_CONDITION = '@alga/source';

const npm = (args, cwd) =>
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** Every file path `exports` names, whatever the nesting of conditions, but the source one. */
function exportTargets(exports) {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.entries(exports)
    .filter(([condition]) => condition !== SOURCE_CONDITION)
    .flatMap(([, target]) => exportTargets(target));
}

function declaredTargets(manifest) {
  const bin = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  return [
    manifest.main,
    manifest.module,
    manifest.types,
    ...bin,
    ...exportTargets(manifest.exports),
  ]
    .filter((target) => typeof target === 'string')
    .map((target) => target.replace(/^\.\//, ''));
}

/** Whether `target` (possibly with one `*`) names a file in `files`. */
function shipped(target, files) {
  if (!target.includes('*')) return files.has(target);
  const [prefix, suffix] = target.split('*');
  return [...files].some((file) => file.startsWith(prefix) && file.endsWith(suffix));
}

// esbuild writes each static import on one line of its own; code that only builds an import
// statement as text (the CLI's bundle entry for an extension) does not start a line with it.
const IMPORT =
  /(?:^(?:import|export)\b[^"'\n]*?\bfrom\s*|^import\s*|\bimport\(\s*|\brequire\(\s*)["']([^"'./][^"']*)["']/gm;
/** Imports a package makes only in a source checkout, where its dist/ is absent. */
const SOURCE_CHECKOUT_ONLY = new Map([['@alga/cli', ['tsx']]]);
const builtins = new Set(builtinModules);

/** Every bare specifier the built files import, with the file importing it (each file read once). */
function importsOf(dir, files) {
  return [...files]
    .filter((file) => /\.(c|m)?js$/.test(file))
    .flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(IMPORT)].map(([, specifier]) => ({
        specifier,
        file,
      })),
    );
}

/** Imports that name no declared dependency. */
function undeclaredImports(manifest, imports) {
  const declared = new Set([
    manifest.name,
    ...(SOURCE_CHECKOUT_ONLY.get(manifest.name) ?? []),
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const found = new Map();
  for (const { specifier, file } of imports) {
    // `node:fs`, and the guest's `alga:extension/...` imports, which the host links.
    if (/^[a-z]+:/.test(specifier) || builtins.has(specifier)) continue;
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    if (!declared.has(name)) found.set(name, file);
  }
  return [...found].map(([name, file]) => `${name} (imported by ${file})`);
}

const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((entry) => join(root, 'packages', entry))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);
const problems = [];
const built = [];
/** The tarballs, made once: their file lists for the checks here, then installed by the consumer check. */
const tarballs = mkdtempSync(join(tmpdir(), 'alga-tarballs-'));
const packed = [];
try {
  // All first: a package's built code imports the others' builds.
  for (const { dir } of packages) {
    built.push(dir);
    npm(['run', 'build'], dir);
  }
  for (const { dir, manifest } of packages) {
    const report = (problem) => problems.push(`${manifest.name}: ${problem}`);
    const [pack] = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], dir),
    );
    packed.push({ dir, manifest, tarball: join(tarballs, pack.filename) });
    const files = new Set(pack.files.map((file) => file.path));
    for (const target of declaredTargets(manifest)) {
      if (!shipped(target, files)) report(`${target} is declared but not in the tarball`);
    }
    const imports = importsOf(dir, files);
    for (const undeclared of undeclaredImports(manifest, imports)) {
      report(`imports ${undeclared} without declaring it`);
    }
    const loaded = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(manifest.name)});`],
      { cwd: root, encoding: 'utf8' },
    );
    if (loaded.status !== 0) report(`its built entry does not load: ${loaded.stderr.trim()}`);
    for (const [command, path] of Object.entries(
      typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {}),
    )) {
      const ran = spawnSync(process.execPath, [join(dir, path), '--version'], { encoding: 'utf8' });
      if (ran.stdout.trim() !== manifest.version) {
        report(`\`${command} --version\` printed "${ran.stdout.trim()}" ${ran.stderr.trim()}`);
      }
    }
    console.log(`${manifest.name}: ${files.size} files, ${pack.size} bytes packed`);
  }
  // Only once every package passed on its own: a broken tarball would fail the flow anyway.
  if (problems.length === 0) {
    const started = performance.now();
    problems.push(...(await checkConsumer(root, packed)));
    if (problems.length === 0) {
      console.log(
        `installed from the tarballs: alga new, build, test, keygen, pack, sign, serve, publish, tenants create, install and a call passed (${Math.round((performance.now() - started) / 1000)} s)`,
      );
    }
  }
} finally {
  rmSync(tarballs, { recursive: true, force: true });
  if (!keepDist)
    for (const dir of built) rmSync(join(dir, 'dist'), { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(`check-packages: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  'check-packages: every declared entry ships, every import is declared, every entry loads, and the tarballs work installed',
);
