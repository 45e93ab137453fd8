import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BUNDLE_INDEX_PATH,
  BundleError,
  type BundleErrorCode,
  computeContentHash,
  computeDigest,
  packBundle,
  readBundle,
} from '@alga/host';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST, projectFiles, writeProject } from './fixtures/bundle-project.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

async function codeOf(promise: Promise<unknown>): Promise<BundleErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof BundleError) return error.code;
    throw error;
  }
}

async function tarHeaders(bytes: Uint8Array): Promise<tar.Header[]> {
  const extract = tar.extract();
  const headers: tar.Header[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      headers.push(entry.header);
      entry.resume();
    }
  })();
  extract.end(Buffer.from(bytes));
  await done;
  return headers;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'alga-bundle-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('content hash', () => {
  it('matches the test vector in docs/bundle-format.md, computed by hand from the definition', async () => {
    const files = { 'manifest.json': text('{}\n'), 'dist/component.wasm': text('wasm') };
    const listing =
      'alga-bundle/v1\n' +
      `dist/component.wasm\u00004\u0000${sha256('wasm')}\n` +
      `manifest.json\u00003\u0000${sha256('{}\n')}\n`;
    const expected = `sha256:${sha256(listing)}`;
    expect(computeContentHash(files)).toBe(expected);
    expect(expected).toBe(
      'sha256:b9a67ce102dbd1bcb93793e313ee264b4647d6138a6acc4fd2169cdd2d423cfc',
    );
    const doc = await readFile(new URL('../../../docs/bundle-format.md', import.meta.url), 'utf8');
    expect(doc).toContain(expected);
  });

  it('does not depend on the order the files are given in', () => {
    const files = projectFiles();
    const reversed = new Map([...files.entries()].reverse());
    expect(computeContentHash(reversed)).toBe(computeContentHash(files));
  });

  it('changes when any byte of any file changes, or a file is renamed', () => {
    const files = projectFiles();
    const base = computeContentHash(files);
    for (const [path, bytes] of files) {
      const flipped = Uint8Array.from(bytes);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0x01;
      expect(computeContentHash(new Map(files).set(path, flipped))).not.toBe(base);
    }
    const renamed = new Map(files);
    const app = renamed.get('ui/app.js') as Uint8Array;
    renamed.delete('ui/app.js');
    renamed.set('ui/app2.js', app);
    expect(computeContentHash(renamed)).not.toBe(base);
  });
});

describe('packBundle and readBundle', () => {
  it('round-trips every file, with per-file digests and the index kept out of the files', async () => {
    const files = projectFiles();
    const packed = await packBundle(files);
    const bundle = await readBundle(packed.bytes);
    expect(bundle.contentHash).toBe(packed.contentHash);
    expect(bundle.contentHash).toBe(computeContentHash(files));
    expect(bundle.manifest.name).toBe(MANIFEST.name);
    expect([...bundle.files.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [path, bytes] of files) {
      expect(bundle.files.get(path)).toEqual(bytes);
      expect(bundle.digests.get(path)).toBe(`sha256:${sha256(bytes)}`);
      expect(computeDigest(bytes)).toBe(bundle.digests.get(path));
    }
    expect(bundle.files.has(BUNDLE_INDEX_PATH)).toBe(false);
    expect(bundle.index.contentHash).toBe(packed.contentHash);
    expect(bundle.index.files.map((file) => file.path)).toEqual(
      packed.files.map((file) => file.path),
    );
  });

  it('writes a canonical tar: index first, paths in byte order, zeroed times and owners, mode 0644', async () => {
    const packed = await packBundle(projectFiles(), { compress: false });
    const headers = await tarHeaders(packed.bytes);
    const names = headers.map((header) => header.name);
    expect(names[0]).toBe(BUNDLE_INDEX_PATH);
    const rest = names.slice(1);
    expect(rest).toEqual([...rest].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const header of headers) {
      expect(header).toMatchObject({
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
      });
      expect(header.mtime.getTime()).toBe(0);
    }
    const gz = await packBundle(projectFiles());
    expect(new Uint8Array(gunzipSync(gz.bytes))).toEqual(packed.bytes);
    expect((await readBundle(packed.bytes)).contentHash).toBe(gz.contentHash);
  });

  it('packs a project folder to the same bytes whatever the creation order, mtimes and modes', async () => {
    const files = projectFiles();
    const first = await writeProject(join(work, 'p1'), files);
    const order = [...files.keys()].reverse();
    const second = await writeProject(join(work, 'p2'), files, order);
    for (const [i, path] of order.entries()) {
      const target = join(second, ...path.split('/'));
      await utimes(
        target,
        new Date(1_000_000 + i * 7919),
        new Date(2_000_000_000_000 - i * 104_729),
      );
      await chmod(target, i % 2 === 0 ? 0o600 : 0o755);
    }
    const a = await packBundle(first, { compress: false });
    const b = await packBundle(second, { compress: false });
    expect(b.contentHash).toBe(a.contentHash);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(a.contentHash).toBe(computeContentHash(files));
  });

  it('takes the manifest, component, metadata and UI folder from a project, and nothing else', async () => {
    const dir = await writeProject(join(work, 'p3'));
    await writeProject(
      dir,
      new Map([
        ['src/index.ts', text('export {};')],
        ['node_modules/x/index.js', text('')],
        ['ui/.DS_Store', text('junk')],
        ['dist/other.txt', text('not packed')],
      ]),
    );
    const packed = await packBundle(dir);
    expect(packed.files.map((file) => file.path)).toEqual(
      [...projectFiles().keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it('refuses a project whose manifest is invalid, listing the issues', async () => {
    const dir = await writeProject(
      join(work, 'bad-manifest'),
      projectFiles({ ...MANIFEST, version: 'one', capabilities: ['cap:nope'] }),
    );
    const error = await packBundle(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as BundleError).code).toBe('MANIFEST_INVALID');
    const paths = (error as BundleError).issues.map((issue) => issue.path);
    expect(paths).toContain('version');
    expect(paths.some((path) => path.startsWith('capabilities'))).toBe(true);
  });

  it('refuses a project without manifest.json or without its component, saying to run alga build', async () => {
    const empty = join(work, 'empty');
    await writeProject(empty, new Map([['README.md', text('hi')]]));
    expect(await codeOf(packBundle(empty))).toBe('MANIFEST_INVALID');

    const files = projectFiles();
    files.delete('dist/component.wasm');
    const dir = await writeProject(join(work, 'no-component'), files);
    const error = (await packBundle(dir).catch((e: unknown) => e)) as BundleError;
    expect(error.code).toBe('COMPONENT_MISSING');
    expect(error.path).toBe('dist/component.wasm');
    expect(error.message).toContain('alga build');
  });

  it('refuses a project whose UI is missing its iframe entry', async () => {
    const files = projectFiles();
    files.delete('ui/index.html');
    const dir = await writeProject(join(work, 'no-entry'), files);
    const error = (await packBundle(dir).catch((e: unknown) => e)) as BundleError;
    expect(error.code).toBe('ASSET_MISSING');
    expect(error.path).toBe('ui/index.html');
  });

  it('refuses a symbolic link in the UI folder instead of following it', async () => {
    const dir = await writeProject(join(work, 'link'));
    await symlink('/etc/passwd', join(dir, 'ui', 'passwd'));
    const error = (await packBundle(dir).catch((e: unknown) => e)) as BundleError;
    expect(error.code).toBe('LINK_NOT_ALLOWED');
    expect(error.path).toBe('ui/passwd');
  });

  it('refuses unsafe and duplicate paths given as a file map', async () => {
    const withFile = (path: string) => new Map(projectFiles()).set(path, text('x'));
    expect(await codeOf(packBundle(withFile('../escape.js')))).toBe('UNSAFE_PATH');
    expect(await codeOf(packBundle(withFile('/abs.js')))).toBe('UNSAFE_PATH');
    expect(await codeOf(packBundle(withFile('ui\\win.js')))).toBe('UNSAFE_PATH');
    expect(await codeOf(packBundle(withFile('.alga/extra.json')))).toBe('UNSAFE_PATH');
    expect(await codeOf(packBundle(withFile(BUNDLE_INDEX_PATH)))).toBe('UNSAFE_PATH');
    expect(await codeOf(packBundle(withFile('UI/other.js')))).toBe('resolved');
    expect(await codeOf(packBundle(withFile('ui/APP.js')))).toBe('DUPLICATE_PATH');
    expect(await codeOf(packBundle(withFile('ui/app.js/x')))).toBe('DUPLICATE_PATH');
  });

  it('refuses to pack what readers would refuse: over-limit files, totals and counts', async () => {
    const files = projectFiles();
    expect(await codeOf(packBundle(files, { limits: { maxFileBytes: 20 } }))).toBe('TOO_LARGE');
    expect(await codeOf(packBundle(files, { limits: { maxTotalBytes: 300 } }))).toBe('TOO_LARGE');
    expect(await codeOf(packBundle(files, { limits: { maxFiles: 3 } }))).toBe('TOO_MANY_FILES');
    const dir = await writeProject(join(work, 'limits'));
    expect(await codeOf(packBundle(dir, { limits: { maxFiles: 3 } }))).toBe('TOO_MANY_FILES');
    expect(await codeOf(packBundle(dir, { limits: { maxFileBytes: 20 } }))).toBe('TOO_LARGE');
  });

  it('pins the component when the manifest carries precompiled.component', async () => {
    const files = projectFiles();
    const wasm = files.get('dist/component.wasm') as Uint8Array;
    const pinned = projectFiles({
      ...MANIFEST,
      precompiled: { component: { digest: computeDigest(wasm), size: wasm.byteLength } },
    });
    expect(
      (await readBundle((await packBundle(pinned)).bytes)).manifest.precompiled?.component.size,
    ).toBe(wasm.byteLength);
    const wrong = projectFiles({
      ...MANIFEST,
      precompiled: { component: { digest: `sha256:${'0'.repeat(64)}`, size: wasm.byteLength } },
    });
    expect(await codeOf(packBundle(wrong))).toBe('HASH_MISMATCH');
  });
});

describe('single-asset verification', () => {
  it('lets a server check one asset against the digests without rehashing the bundle', async () => {
    const bundle = await readBundle((await packBundle(projectFiles())).bytes);
    const asset = bundle.files.get('ui/app.js') as Uint8Array;
    expect(computeDigest(asset)).toBe(bundle.digests.get('ui/app.js'));
    const tampered = Uint8Array.from(asset);
    tampered[0] = (tampered[0] ?? 0) ^ 0x01;
    expect(computeDigest(tampered)).not.toBe(bundle.digests.get('ui/app.js'));
  });
});

describe('file writes', () => {
  it('leaves the project folder as it was', async () => {
    const dir = await writeProject(join(work, 'untouched'));
    const before = await readFile(join(dir, 'manifest.json'));
    await packBundle(dir);
    expect(await readFile(join(dir, 'manifest.json'))).toEqual(before);
    await writeFile(join(dir, 'ui', 'extra.txt'), 'x');
    expect((await packBundle(dir)).files.some((file) => file.path === 'ui/extra.txt')).toBe(true);
  });
});
