import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
const dir = process.argv[2]!;
const glue = await import(pathToFileURL(join(dir, 'component.js')).href);
const modules = new Map<string, WebAssembly.Module>();
for (const name of (await readdir(dir)).filter((f) => f.endsWith('.wasm'))) modules.set(name, await WebAssembly.compile(await readFile(join(dir, name))));
const wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } });
const req = { method: 'GET', path: '/', query: [], headers: [], body: new Uint8Array(), params: [], handler: undefined, kind: 'api' };
const N = Number(process.argv[3] ?? 30);
const hs = [];
for (let i = 0; i < N; i++) {
  const ex = glue.instantiate((n: string) => modules.get(n)!, { ...wasi.getImportObject(), 'alga:extension/types': {} }, (m: any, i: any) => new WebAssembly.Instance(m, i));
  hs.push((ex.handler ?? ex['alga:extension/handler@1.0.0']).handle);
}
hs[0](req);
let s = performance.now();
for (let i = 1; i < N; i++) hs[i](req);
console.log('first call avg', ((performance.now() - s) / (N - 1)).toFixed(3));
s = performance.now();
for (let i = 1; i < N; i++) hs[i](req);
console.log('second call avg', ((performance.now() - s) / (N - 1)).toFixed(3));
