import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeListener } from '../src/gateway/adapters';
import { MemoryRegistryStore } from '../src/registry/memory-store';
import { FsBundleStore } from '../src/store/fs-store';
import { createUiAssetServer } from '../src/ui-assets/handler';
import { confineAssetPath, contentTypeOf, etagMatches } from '../src/ui-assets/path';
import {
  type SignedBundle,
  signedBundle,
  testSigner,
  versionRecord,
} from './fixtures/gateway-support/bundles';

const MANIFEST = {
  name: 'com.example.assets',
  publisher: 'example',
  version: '1.0.0',
  runtime: 'wasm-js@1',
  capabilities: ['cap:context.read'],
  api: { endpoints: [] },
  ui: { iframe: { entry: 'ui/index.html' } },
  assets: { ui: 'ui' },
};

const UI_FILES = {
  'ui/index.html': '<!doctype html><script src="app.js"></script>',
  'ui/app.js': 'console.log(1);',
  'ui/css/site.css': 'body{}',
  'ui/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'ui/.well-known/security.txt': 'Contact: mailto:sec@example.com',
  'ui/.env': 'SECRET=1',
  'ui/data.bin': 'raw',
  'secret-outside-ui.txt': 'not an asset',
};

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/** GETs `target` byte for byte: no client-side normalisation of dots or backslashes. */
function raw(
  base: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: target, method: 'GET', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('asset paths', () => {
  const none = new Set<string>();
  it('decodes each segment once and refuses anything that could leave the UI folder', () => {
    expect(confineAssetPath(['css', 'site.css'], none)).toBe('css/site.css');
    expect(confineAssetPath(['a%20b.js'], none)).toBe('a b.js');
    for (const segments of [
      [],
      [''],
      ['a', '', 'b'],
      ['..', 'x'],
      ['.'],
      ['%2e%2e', 'x'],
      ['%252e%252e', 'x'],
      ['a%2fb'],
      ['a%5cb'],
      ['a\\b'],
      ['a%00b'],
      ['%zz'],
      ['.env'],
    ]) {
      expect(confineAssetPath(segments, none), segments.join('/')).toBeUndefined();
    }
    expect(confineAssetPath(['.well-known', 'x.txt'], new Set(['.well-known/x.txt']))).toBe(
      '.well-known/x.txt',
    );
  });

  it('knows the content types of web assets', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('a/b.mjs')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('x.WOFF2')).toBe('font/woff2');
    expect(contentTypeOf('m.wasm')).toBe('application/wasm');
    expect(contentTypeOf('noext')).toBe('application/octet-stream');
    expect(contentTypeOf('.hidden')).toBe('application/octet-stream');
  });

  it('compares ETags weakly, in lists and with *', () => {
    expect(etagMatches('"a", W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"x"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
  });
});

describe('UI asset server', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let bundle: SignedBundle;
  let other: SignedBundle;
  let tampered: SignedBundle;
  let unpublished: SignedBundle;
  let invalid: SignedBundle;
  let store: FsBundleStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alga-ui-assets-'));
    const signer = await testSigner();
    bundle = await signedBundle(signer, MANIFEST, UI_FILES);
    other = await signedBundle(signer, { ...MANIFEST, name: 'com.example.other' }, UI_FILES);
    tampered = await signedBundle(signer, { ...MANIFEST, version: '1.0.1' }, UI_FILES);
    unpublished = await signedBundle(signer, { ...MANIFEST, version: '9.0.0' }, UI_FILES);
    invalid = await signedBundle(signer, { ...MANIFEST, version: '0.9.0' }, UI_FILES);
    store = new FsBundleStore({ root: join(dir, 'bundles') });
    const registry = new MemoryRegistryStore();
    await registry.open();
    for (const b of [bundle, other, tampered, unpublished, invalid]) await store.put(b.bytes);
    for (const b of [bundle, other, tampered]) await registry.insertVersion(versionRecord(b));
    await registry.insertVersion(versionRecord(invalid, 'invalid'));
    const assets = createUiAssetServer({
      store: registry,
      bundles: store,
      trust: signer.trust,
      frameAncestors: ['https://app.example.com'],
      dotfiles: ['.well-known/security.txt'],
    });
    server = createServer(createNodeListener(assets.fetch));
    base = await listen(server);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  const url = (b: SignedBundle, path: string, id = String(b.manifest.name)) =>
    `/ext-ui/${id}/${b.contentHash}/${path}`;

  it('serves a published asset with immutable caching, its digest as ETag, CSP and nosniff', async () => {
    const response = await raw(base, url(bundle, 'index.html'));
    expect(response.status).toBe(200);
    expect(response.body).toBe(UI_FILES['ui/index.html']);
    const digest = createHash('sha256').update(UI_FILES['ui/index.html']).digest('hex');
    expect(response.headers.etag).toBe(`"sha256-${digest}"`);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; frame-ancestors https://app.example.com; base-uri 'none'; form-action 'none'",
    );
    expect((await raw(base, url(bundle, 'css/site.css'))).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await raw(base, url(bundle, 'logo.svg'))).headers['content-type']).toBe(
      'image/svg+xml',
    );
    expect((await raw(base, url(bundle, 'data.bin'))).headers['content-type']).toBe(
      'application/octet-stream',
    );
  });

  it('answers 304 to a matching if-none-match and 200 to a stale one', async () => {
    const first = await raw(base, url(bundle, 'app.js'));
    const etag = String(first.headers.etag);
    const revalidated = await raw(base, url(bundle, 'app.js'), { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBe('');
    expect(revalidated.headers.etag).toBe(etag);
    expect(revalidated.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const stale = await raw(base, url(bundle, 'app.js'), { 'if-none-match': '"sha256-00"' });
    expect(stale.status).toBe(200);
  });

  it('serves a listed dotfile and no other', async () => {
    expect((await raw(base, url(bundle, '.well-known/security.txt'))).status).toBe(200);
    expect((await raw(base, url(bundle, '.env'))).status).toBe(404);
  });

  it('answers 404 for traversal: plain, %2e%2e, double-encoded, backslash, encoded slash', async () => {
    const prefix = `/ext-ui/com.example.assets/${bundle.contentHash}`;
    for (const target of [
      `${prefix}/../../../etc/passwd`,
      `${prefix}/../secret-outside-ui.txt`,
      `${prefix}/%2e%2e/secret-outside-ui.txt`,
      `${prefix}/%2E%2E/%2e%2e/manifest.json`,
      `${prefix}/%252e%252e/secret-outside-ui.txt`,
      `${prefix}/..%5csecret-outside-ui.txt`,
      `${prefix}/..\\secret-outside-ui.txt`,
      `${prefix}/css%2f..%2f..%2fsecret-outside-ui.txt`,
      `${prefix}/css/./site.css`,
      `${prefix}/index.html%00.js`,
    ]) {
      const response = await raw(base, target);
      expect(response.status, target).toBe(404);
      expect(JSON.parse(response.body).error.code, target).toBe('NOT_FOUND');
    }
  });

  it('answers 404 for files outside the UI folder, unknown files and bad hashes', async () => {
    expect((await raw(base, url(bundle, 'manifest.json'))).status).toBe(404);
    expect((await raw(base, url(bundle, 'missing.js'))).status).toBe(404);
    expect((await raw(base, `/ext-ui/com.example.assets/sha256:abc/index.html`)).status).toBe(404);
    expect((await raw(base, `/ext-ui/com.example.assets/${bundle.contentHash}`)).status).toBe(404);
  });

  it('serves only content hashes published for that very extension', async () => {
    expect((await raw(base, url(other, 'index.html'))).status).toBe(200);
    expect((await raw(base, url(other, 'index.html', 'com.example.assets'))).status).toBe(404);
    expect((await raw(base, url(bundle, 'index.html', 'com.example.other'))).status).toBe(404);
  });

  it('does not serve stored bundles that are unpublished or invalid', async () => {
    expect(await store.has(unpublished.contentHash)).toBe(true);
    expect((await raw(base, url(unpublished, 'index.html'))).status).toBe(404);
    expect((await raw(base, url(invalid, 'index.html'))).status).toBe(404);
  });

  it('answers 502 when the stored bundle was altered, and never serves its files', async () => {
    const path = join(store.root, 'sha256', tampered.contentHash.slice('sha256:'.length));
    const altered = Uint8Array.from(tampered.bytes);
    altered[altered.length - 20] = (altered[altered.length - 20] ?? 0) ^ 0xff;
    await writeFile(path, altered);
    const response = await raw(base, url(tampered, 'index.html'));
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body).error.code).toBe('INTEGRITY');
  });
});
