// Runs every benchmark under bench/ (files named *.bench.mjs) one after another, each in its
// own process so one benchmark's heap and JIT state do not colour the next one's figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = new URL('../bench/', import.meta.url).pathname;
const passThrough = process.argv.slice(2);
const only = passThrough.filter((arg) => !arg.startsWith('--'));
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => only.length === 0 || only.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.log('no benchmarks found under bench/');
  process.exit(0);
}

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const run = spawnSync(
    process.execPath,
    ['--conditions=@alga/source', '--import', 'tsx', join(benchDir, file), ...passThrough],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
