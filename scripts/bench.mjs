// Runs every benchmark under bench/ (files named *.bench.ts or *.bench.mjs) one after another,
// each in its own process so one benchmark's heap and JIT state do not colour the next one's
// figures. Flags: --quick (fewer iterations), --write-docs (copy the figures of
// bench/results/latest.json into docs/performance.md afterwards), --docs-only (just that);
// other words pick benchmarks by name (`npm run bench -- verify invoke`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = new URL('../bench/', import.meta.url).pathname;
const passThrough = process.argv.slice(2);
const only = passThrough.filter((arg) => !arg.startsWith('--'));
const docsOnly = passThrough.includes('--docs-only');
const writeDocs = docsOnly || passThrough.includes('--write-docs');
const files = docsOnly
  ? []
  : readdirSync(benchDir)
      .filter((name) => /\.bench\.(ts|mjs)$/.test(name))
      .filter((name) => only.length === 0 || only.some((filter) => name.includes(filter)))
      .sort();

if (files.length === 0 && !docsOnly) {
  console.log(`no benchmarks under bench/ match ${only.join(', ') || 'anything'}`);
  process.exit(0);
}

const run = (file, args) =>
  spawnSync(
    process.execPath,
    // --expose-gc: memory figures collect garbage before reading RSS.
    ['--conditions=@alga/source', '--expose-gc', '--import', 'tsx', join(benchDir, file), ...args],
    { stdio: 'inherit' },
  ).status;

const started = Date.now();
const failed = [];
for (const file of files) {
  console.log(`\n## ${file}\n`);
  if (run(file, passThrough) !== 0) failed.push(file);
}
if (files.length > 0) {
  console.log(
    `\n${files.length} benchmark file(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
if (failed.length > 0) console.error(`failed: ${failed.join(', ')}`);
if (writeDocs && run('write-docs.ts', []) !== 0) failed.push('write-docs.ts');
process.exit(failed.length === 0 ? 0 : 1);
