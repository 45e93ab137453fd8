// Adds a lockfile entry for every optional dependency npm left out because the registry it
// resolved against does not serve it (platform builds of rollup and biome for other systems).
// `npm ci` refuses a lockfile that lacks them; npm skips an optional package it cannot fetch.
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;

function resolvesFrom(location, name) {
  for (let dir = location; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolvesFrom(location, name)) continue;
    const key = `${location ? `${location}/` : ''}node_modules/${name}`;
    packages[key] = { version: range, ...(entry.dev ? { dev: true } : {}), optional: true };
    added += 1;
  }
}

writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional entr${added === 1 ? 'y' : 'ies'}`);
