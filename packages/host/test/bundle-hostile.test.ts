import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BUNDLE_INDEX_PATH,
  BundleError,
  type BundleErrorCode,
  type BundleLimits,
  FsBundleStore,
  packBundle,
  readBundle,
} from '@alga/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  indexedEntries,
  MANIFEST,
  projectFiles,
  type RawEntry,
  rawArchive,
} from './fixtures/bundle-project.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

async function rejection(bytes: Uint8Array, limits?: Partial<BundleLimits>): Promise<BundleError> {
  const error = await readBundle(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof BundleError))
    throw new Error(`expected a BundleError, got ${String(error)}`);
  return error;
}

async function validEntries(): Promise<RawEntry[]> {
  return indexedEntries(projectFiles());
}

let work: string;
let escapeTarget: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'alga-hostile-'));
  escapeTarget = join(work, 'escaped.txt');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('hostile archives are rejected with a distinct code', () => {
  const cases: Array<[string, () => RawEntry[], BundleErrorCode]> = [
    ['an absolute path', () => [{ name: '/etc/cron.d/evil', body: text('x') }], 'UNSAFE_PATH'],
    ['a .. segment', () => [{ name: 'ui/../../escaped.txt', body: text('x') }], 'UNSAFE_PATH'],
    ['a leading ..', () => [{ name: '../escaped.txt', body: text('x') }], 'UNSAFE_PATH'],
    ['a backslash', () => [{ name: 'ui\\..\\..\\escaped.txt', body: text('x') }], 'UNSAFE_PATH'],
    ['a drive letter', () => [{ name: 'C:/Windows/evil.dll', body: text('x') }], 'UNSAFE_PATH'],
    ['a control character', () => [{ name: 'ui/a\nb.js', body: text('x') }], 'UNSAFE_PATH'],
    [
      'an entry in the reserved .alga folder',
      () => [{ name: '.alga/keys.json', body: text('x') }],
      'UNSAFE_PATH',
    ],
    [
      'a symbolic link',
      () => [{ name: 'ui/passwd', type: 'symlink', linkname: '/etc/passwd' }],
      'LINK_NOT_ALLOWED',
    ],
    [
      'a hard link',
      () => [{ name: 'ui/hard', type: 'link', linkname: 'manifest.json' }],
      'LINK_NOT_ALLOWED',
    ],
    ['a character device', () => [{ name: 'ui/null', type: 'character-device' }], 'SPECIAL_FILE'],
    ['a block device', () => [{ name: 'ui/sda', type: 'block-device' }], 'SPECIAL_FILE'],
    ['a FIFO', () => [{ name: 'ui/pipe', type: 'fifo' }], 'SPECIAL_FILE'],
    ['a duplicate path', () => [{ name: 'ui/app.js', body: text('evil') }], 'DUPLICATE_PATH'],
    [
      'a path differing only in case',
      () => [{ name: 'UI/APP.JS', body: text('evil') }],
      'DUPLICATE_PATH',
    ],
    [
      'a file used as a folder',
      () => [{ name: 'ui/app.js/x', body: text('evil') }],
      'DUPLICATE_PATH',
    ],
    [
      'a folder over a file',
      () => [{ name: 'manifest.json/', type: 'directory' }],
      'DUPLICATE_PATH',
    ],
    ['a second index', () => [{ name: BUNDLE_INDEX_PATH, body: text('{}') }], 'DUPLICATE_PATH'],
  ];

  for (const [what, extra, code] of cases) {
    it(`${what} -> ${code}`, async () => {
      const entries = [...(await validEntries()), ...extra()];
      const error = await rejection(await rawArchive(entries));
      expect(error.code).toBe(code);
      expect(existsSync(escapeTarget)).toBe(false);
    });
  }

  it('names the offending path in the error', async () => {
    const error = await rejection(
      await rawArchive([...(await validEntries()), { name: '../escaped.txt', body: text('x') }]),
    );
    expect(error.path).toBe('../escaped.txt');
    expect(error.message).toContain('"../escaped.txt"');
  });

  it('accepts plain folder entries, as tar tools write them', async () => {
    const entries = await validEntries();
    const bundle = await readBundle(
      await rawArchive([{ name: 'ui/', type: 'directory' }, ...entries]),
    );
    expect(bundle.manifest.name).toBe(MANIFEST.name);
  });
});

describe('size limits', () => {
  it('rejects a file over maxFileBytes from its header, before reading it', async () => {
    const entries = [...(await validEntries()), { name: 'ui/big.bin', body: new Uint8Array(5000) }];
    const error = await rejection(await rawArchive(entries), { maxFileBytes: 4096 });
    expect(error.code).toBe('TOO_LARGE');
    expect(error.path).toBe('ui/big.bin');
    expect(error.message).toContain('4096-byte per-file limit');
  });

  it('rejects files adding up to more than maxTotalBytes', async () => {
    const entries = [
      ...(await validEntries()),
      { name: 'ui/a.bin', body: new Uint8Array(3000) },
      { name: 'ui/b.bin', body: new Uint8Array(3000) },
    ];
    const error = await rejection(await rawArchive(entries), { maxTotalBytes: 5000 });
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toContain('maxTotalBytes');
  });

  it('rejects more entries than maxFiles', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ({
      name: `ui/f${i}.txt`,
      body: text(String(i)),
    }));
    const error = await rejection(await rawArchive([...(await validEntries()), ...many]), {
      maxFiles: 15,
    });
    expect(error.code).toBe('TOO_MANY_FILES');
  });

  it('rejects a raw archive larger than any bundle within the limits could be', async () => {
    const error = await rejection(new Uint8Array(20 * 1024 * 1024), {
      maxTotalBytes: 1024 * 1024,
      maxFiles: 10,
    });
    expect(error.code).toBe('TOO_LARGE');
  });

  it('rejects a decompression bomb while inflating, long before it is all inflated', async () => {
    // 12 files of 1 MiB zeros: each within maxFileBytes and all within maxTotalBytes, yet ~1000x compression.
    const zeros = new Uint8Array(1024 * 1024);
    const bomb = Array.from({ length: 12 }, (_, i) => ({ name: `ui/zero${i}.bin`, body: zeros }));
    const bytes = await rawArchive([...(await validEntries()), ...bomb]);
    expect(bytes.byteLength).toBeLessThan(32 * 1024);
    const started = performance.now();
    const error = await rejection(bytes);
    expect(error.code).toBe('DECOMPRESSION_BOMB');
    expect(error.message).toContain('maxCompressionRatio');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects a stream that inflates past the largest archive the limits allow', async () => {
    const bytes = new Uint8Array(gzipSync(new Uint8Array(8 * 1024 * 1024)));
    const error = await rejection(bytes, {
      maxTotalBytes: 1024 * 1024,
      maxFiles: 10,
      maxCompressionRatio: 100_000,
    });
    expect(error.code).toBe('DECOMPRESSION_BOMB');
    expect(error.message).toContain('largest archive');
  });
});

describe('malformed bundles', () => {
  it('rejects bytes that are neither gzip nor tar', async () => {
    expect((await rejection(text('hello, I am not a bundle'))).code).toBe('MALFORMED');
  });

  it('rejects a corrupt gzip stream', async () => {
    const bytes = (await packBundle(projectFiles())).bytes;
    const corrupt = Uint8Array.from(bytes);
    const at = Math.floor(corrupt.length / 2);
    corrupt[at] = (corrupt[at] ?? 0) ^ 0xff;
    expect((await rejection(corrupt)).code).toBe('MALFORMED');
  });

  it('rejects a truncated archive', async () => {
    const bytes = (await packBundle(projectFiles(), { compress: false })).bytes;
    expect((await rejection(bytes.subarray(0, 1500))).code).toBe('MALFORMED');
    const gz = (await packBundle(projectFiles())).bytes;
    expect((await rejection(gz.subarray(0, gz.length - 20))).code).toBe('MALFORMED');
  });

  it('rejects an archive without the index, saying how to make a bundle', async () => {
    const entries = (await validEntries()).slice(1);
    const error = await rejection(await rawArchive(entries));
    expect(error.code).toBe('MALFORMED');
    expect(error.message).toContain('alga pack');
  });

  it('rejects an index of an unknown format version', async () => {
    const [index, ...rest] = await validEntries();
    const json = JSON.parse(new TextDecoder().decode(index?.body)) as Record<string, unknown>;
    const entries = [
      {
        name: BUNDLE_INDEX_PATH,
        body: text(JSON.stringify({ ...json, format: 'alga-bundle/v9' })),
      },
      ...rest,
    ];
    expect((await rejection(await rawArchive(entries))).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('rejects a file whose bytes do not match the index, naming it', async () => {
    const entries = (await validEntries()).map((entry) =>
      entry.name === 'ui/app.js' ? { ...entry, body: text('console.log("evil!");\n') } : entry,
    );
    const error = await rejection(await rawArchive(entries));
    expect(error.code).toBe('HASH_MISMATCH');
    expect(error.path).toBe('ui/app.js');
  });

  it('rejects a file the index does not list, and a listed file that is missing', async () => {
    const added = [...(await validEntries()), { name: 'ui/extra.js', body: text('x') }];
    expect((await rejection(await rawArchive(added))).path).toBe('ui/extra.js');
    const removed = (await validEntries()).filter((entry) => entry.name !== 'ui/app.js');
    const error = await rejection(await rawArchive(removed));
    expect(error.code).toBe('HASH_MISMATCH');
    expect(error.path).toBe('ui/app.js');
  });

  it('rejects a bundle whose manifest does not parse, carrying the issues', async () => {
    const entries = indexedEntries(projectFiles({ ...MANIFEST, name: 'not a name' }));
    const error = await rejection(await rawArchive(entries));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.issues.map((issue) => issue.path)).toContain('name');
  });

  it('rejects a bundle whose manifest is not JSON', async () => {
    const files = projectFiles().set('manifest.json', text('{"name": '));
    const error = await rejection(await rawArchive(indexedEntries(files)));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.issues).toHaveLength(1);
  });

  it('rejects a bundle whose component is missing', async () => {
    const files = projectFiles();
    files.delete('dist/component.wasm');
    const error = await rejection(await rawArchive(indexedEntries(files)));
    expect(error.code).toBe('COMPONENT_MISSING');
    expect(error.path).toBe('dist/component.wasm');
  });
});

describe('nothing is written for a rejected bundle', () => {
  it('leaves an FsBundleStore empty when put is given hostile bytes', async () => {
    const root = join(work, 'store');
    const store = new FsBundleStore({ root });
    const hostile = await rawArchive([
      ...(await validEntries()),
      { name: '../escaped.txt', body: text('x') },
    ]);
    await expect(store.put(hostile)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    expect(existsSync(root)).toBe(false);
    expect(await readdir(work)).not.toContain('escaped.txt');
  });
});
