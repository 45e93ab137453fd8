import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
const dir = process.argv[2]!;
const glue = await import(pathToFileURL(join(dir, 'component.js')).href);
const modules = new Map<string, WebAssembly.Module>();
for (const name of (await readdir(dir)).filter((f) => f.endsWith('.wasm'))) modules.set(name, await WebAssembly.compile(await readFile(join(dir, name))));
const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } });
const coreTimes: Record<string, number> = {};
function inst() {
  const imports = { ...wasi.getImportObject(), 'alga:extension/types': {} };
  const t0 = performance.now();
  const ex = glue.instantiate((n: string) => modules.get(n)!, imports, (m: WebAssembly.Module, i: any) => {
    const s = performance.now();
    const r = new WebAssembly.Instance(m, i);
    const k = [...modules].find(([, v]) => v === m)![0];
    coreTimes[k] = (coreTimes[k] ?? 0) + performance.now() - s;
    return r;
  });
  return { ex, ms: performance.now() - t0 };
}
const req = { method: 'GET', path: '/', query: [], headers: [], body: new Uint8Array(), params: [], handler: undefined, kind: 'api' };
const N = Number(process.argv[3] ?? 30);
let total = 0; let first = 0; let warm = 0;
for (let i = 0; i < N; i++) {
  const { ex, ms } = inst();
  total += ms;
  const h = (ex.handler ?? ex['alga:extension/handler@1.0.0']).handle;
  let s = performance.now(); h(req); first += performance.now() - s;
  s = performance.now(); for (let j = 0; j < 20; j++) h(req); warm += (performance.now() - s) / 20;
}
console.log('instantiate avg ms', (total / N).toFixed(2), 'core', Object.fromEntries(Object.entries(coreTimes).map(([k, v]) => [k, (v / N).toFixed(2)])));
console.log('first call ms', (first / N).toFixed(3), 'warm call ms', (warm / N).toFixed(3));
