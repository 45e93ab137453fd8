import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BundleError,
  type BundleStore,
  computeContentHash,
  FsBundleStore,
  packBundle,
  readBundle,
  S3BundleStore,
} from '@alga/host';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexedEntries, projectFiles, rawArchive } from './fixtures/bundle-project.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface StoreHarness {
  readonly store: BundleStore;
  /** Overwrites the stored object behind the store's back, as disk rot or an attacker would. */
  corrupt(contentHash: string, bytes: Uint8Array): Promise<void>;
  /** Every object name the backing storage holds (temp files included). */
  objects(): Promise<string[]>;
  /** Whether the store keeps bundles as their plain tar (its default `inflate`). */
  readonly inflates: boolean;
}

let work: string;
let s3: S3rver;
let endpoint: string;
let raw: S3Client;
let bucketCount = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'alga-store-'));
  // A real S3-compatible server (s3rver, from npm) on a random loopback port.
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(work, 's3rver') });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  raw = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
});

afterAll(async () => {
  raw?.destroy();
  await s3?.close();
  await rm(work, { recursive: true, force: true });
});

const harnesses: Record<string, () => Promise<StoreHarness>> = {
  fs: async () => {
    const root = await mkdtemp(join(work, 'fs-'));
    const store = new FsBundleStore({ root });
    return {
      store,
      corrupt: (hash, bytes) => writeFile(join(root, 'sha256', hash.slice(7)), bytes),
      objects: async () => (existsSync(join(root, 'sha256')) ? readdir(join(root, 'sha256')) : []),
      inflates: true,
    };
  },
  s3: async () => {
    bucketCount += 1;
    const bucket = `bundles-${bucketCount}`;
    await raw.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3BundleStore({
      bucket,
      prefix: 'tenant-a',
      endpoint,
      forcePathStyle: true,
      credentials,
    });
    return {
      store,
      corrupt: async (hash, bytes) => {
        await raw.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `tenant-a/sha256/${hash.slice(7)}`,
            Body: bytes,
          }),
        );
      },
      objects: async () => {
        const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
        const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket }));
        return (page.Contents ?? []).map((object) => object.Key ?? '');
      },
      inflates: false,
    };
  },
};

describe.each(Object.keys(harnesses))('BundleStore contract: %s', (kind) => {
  let harness: StoreHarness;
  let bundle: Uint8Array;
  let hash: string;
  /** What the store gives back: the plain tar when it inflates, else the gzip bytes as published. */
  let kept: Uint8Array;

  beforeAll(async () => {
    harness = await (harnesses[kind] as () => Promise<StoreHarness>)();
    const packed = await packBundle(projectFiles());
    bundle = packed.bytes;
    hash = packed.contentHash;
    kept = harness.inflates
      ? (await packBundle(projectFiles(), { compress: false })).bytes
      : bundle;
  });

  it('stores a bundle under its content hash and returns it (as its plain tar when the store inflates)', async () => {
    expect(await harness.store.has(hash)).toBe(false);
    expect(await harness.store.get(hash)).toBeUndefined();
    expect(await harness.store.put(bundle)).toBe(hash);
    expect(await harness.store.has(hash)).toBe(true);
    const got = await harness.store.get(hash);
    expect(got).toEqual(kept);
    expect(got?.[0] === 0x1f && got?.[1] === 0x8b).toBe(!harness.inflates);
    expect(await harness.store.list()).toEqual([hash]);
    expect(await harness.objects()).toEqual([
      kind === 'fs' ? hash.slice(7) : `tenant-a/sha256/${hash.slice(7)}`,
    ]);
  });

  it('is write-once: the same bundle again, even re-compressed, changes nothing', async () => {
    const plain = (await packBundle(projectFiles(), { compress: false })).bytes;
    expect(await harness.store.put(plain)).toBe(hash);
    expect(await harness.store.put(bundle)).toBe(hash);
    expect(await harness.store.get(hash)).toEqual(kept);
    expect(await harness.objects()).toHaveLength(1);
  });

  it('stores concurrent puts of the same and of different bundles', async () => {
    const files = projectFiles().set('ui/extra.js', text('1'));
    const other = await packBundle(files);
    const results = await Promise.all([
      harness.store.put(other.bytes),
      harness.store.put(other.bytes),
      harness.store.put(bundle),
      harness.store.put(other.bytes),
    ]);
    expect(results).toEqual([other.contentHash, other.contentHash, hash, other.contentHash]);
    expect(await harness.store.list()).toEqual([hash, other.contentHash].sort());
    expect(
      (await readBundle((await harness.store.get(other.contentHash)) as Uint8Array)).contentHash,
    ).toBe(computeContentHash(files));
  });

  it('refuses to store anything that is not a valid bundle, and writes nothing', async () => {
    const before = await harness.objects();
    const hostile = await rawArchive([
      ...indexedEntries(),
      { name: '../../escape', body: text('x') },
    ]);
    await expect(harness.store.put(hostile)).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
    await expect(harness.store.put(text('not a bundle'))).rejects.toMatchObject({
      code: 'MALFORMED',
    });
    expect(await harness.objects()).toEqual(before);
  });

  it('re-hashes on read and never serves a corrupted or swapped object', async () => {
    const files = projectFiles().set('ui/victim.js', text('victim'));
    const victim = await packBundle(files);
    await harness.store.put(victim.bytes);
    const swapped = (await packBundle(projectFiles().set('ui/victim.js', text('evil!!')))).bytes;
    await harness.corrupt(victim.contentHash, swapped);
    const error = await harness.store.get(victim.contentHash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect(error).toMatchObject({ code: 'HASH_MISMATCH' });
    expect((error as Error).message).toContain(victim.contentHash);

    await harness.corrupt(victim.contentHash, text('rotten bytes'));
    await expect(harness.store.get(victim.contentHash)).rejects.toMatchObject({
      code: 'HASH_MISMATCH',
    });
  });

  it('rejects malformed content hashes instead of building paths or keys from them', async () => {
    for (const bad of ['sha256:../../etc/passwd', 'sha256:ABC', `md5:${'0'.repeat(32)}`, '']) {
      await expect(harness.store.get(bad)).rejects.toMatchObject({ code: 'INVALID_CONTENT_HASH' });
      await expect(harness.store.has(bad)).rejects.toMatchObject({ code: 'INVALID_CONTENT_HASH' });
    }
  });
});

/** A project bundle put into a new `FsBundleStore`, and the bytes the store serves for it. */
async function storedBundle(prefix: string) {
  const store = new FsBundleStore({ root: await mkdtemp(join(work, prefix)) });
  const packed = await packBundle(projectFiles());
  await store.put(packed.bytes);
  const served = await store.get(packed.contentHash);
  if (served === undefined) throw new Error('not stored');
  return { store, packed, served };
}

describe('FsBundleStore layout', () => {
  it('writes through a temp file and leaves none behind', async () => {
    const root = await mkdtemp(join(work, 'layout-'));
    const store = new FsBundleStore({ root });
    const packed = await packBundle(projectFiles());
    await store.put(packed.bytes);
    expect(await readdir(join(root, 'sha256'))).toEqual([packed.contentHash.slice(7)]);
    const plainTar = (await packBundle(projectFiles(), { compress: false })).bytes;
    expect(await readFile(join(root, 'sha256', packed.contentHash.slice(7)))).toEqual(
      Buffer.from(plainTar),
    );
    expect(await new FsBundleStore({ root: join(work, 'never-created') }).list()).toEqual([]);
  });

  it('keeps bundles as published with inflate: false, and reads objects kept either way', async () => {
    const root = await mkdtemp(join(work, 'as-published-'));
    const packed = await packBundle(projectFiles());
    await new FsBundleStore({ root, inflate: false }).put(packed.bytes);
    const path = join(root, 'sha256', packed.contentHash.slice(7));
    expect(await readFile(path)).toEqual(Buffer.from(packed.bytes));
    const inflating = new FsBundleStore({ root });
    expect(await inflating.get(packed.contentHash)).toEqual(packed.bytes);
    const other = await packBundle(projectFiles().set('ui/extra.js', text('2')));
    await inflating.put(other.bytes);
    const plain = await new FsBundleStore({ root, inflate: false }).get(other.contentHash);
    expect((await readBundle(plain as Uint8Array)).contentHash).toBe(other.contentHash);
    expect(plain?.[0]).not.toBe(0x1f);
  });

  it('inflates under the same caps as reading: a decompression bomb is refused before anything is written', async () => {
    const root = await mkdtemp(join(work, 'bomb-'));
    const zeros = new Uint8Array(1024 * 1024);
    const bomb = await rawArchive([
      ...indexedEntries(),
      ...Array.from({ length: 12 }, (_, i) => ({ name: `ui/zero${i}.bin`, body: zeros })),
    ]);
    const error = await new FsBundleStore({ root })
      .put(bomb)
      .catch((caught: unknown) => caught as BundleError);
    expect(error).toMatchObject({ code: 'DECOMPRESSION_BOMB' });
    expect((error as BundleError).message).toContain('maxCompressionRatio');
    expect(existsSync(join(root, 'sha256'))).toBe(false);
  });

  it('lets the next read of the bytes it served reuse its check, under the same limits only', async () => {
    const { store, packed, served } = await storedBundle('opened-');
    // Changed after the store checked them: the next read takes the checked content.
    served.fill(0, 0, 64);
    expect((await readBundle(served)).contentHash).toBe(packed.contentHash);
    // Used once: read again, the changed bytes are refused.
    await expect(readBundle(served)).rejects.toMatchObject({ code: 'MALFORMED' });
    const again = await store.get(packed.contentHash);
    if (again === undefined) throw new Error('not stored');
    // Stricter limits than the store's: checked again, and refused.
    await expect(readBundle(again, { maxFiles: 1 })).rejects.toMatchObject({
      code: 'TOO_MANY_FILES',
    });
  });
});

describe('files of a stored bundle', () => {
  it("are views of the bytes the store read, while a caller's own bytes are read into copies", async () => {
    const { packed, served } = await storedBundle('views-');
    const checked = await readBundle(served);
    expect(checked.files.get('manifest.json')?.buffer).toBe(served.buffer);
    const own = served.slice();
    const read = await readBundle(own);
    expect(read.contentHash).toBe(packed.contentHash);
    for (const file of read.files.values()) expect(file.buffer).not.toBe(own.buffer);
  });
});

describe('FsBundleStore reading into a buffer of the caller', () => {
  it('reads into the buffer it is given, still re-hashes what it read, and refuses one too small', async () => {
    const { store, packed, served } = await storedBundle('into-');
    const buffer = new Uint8Array(served.byteLength + 4096).fill(0xee);
    const asked: number[] = [];
    const allocate = (byteLength: number) => {
      asked.push(byteLength);
      return buffer;
    };
    const read = await store.get(packed.contentHash, { allocate });
    expect(asked).toEqual([served.byteLength]);
    expect(read?.buffer).toBe(buffer.buffer);
    expect(read).toEqual(served);
    expect((await readBundle(read as Uint8Array)).contentHash).toBe(packed.contentHash);

    const path = join(store.root, 'sha256', packed.contentHash.slice('sha256:'.length));
    const rotten = Buffer.from(served);
    rotten[rotten.length - 1024] = (rotten[rotten.length - 1024] ?? 0) ^ 0xff;
    await writeFile(path, rotten);
    await expect(store.get(packed.contentHash, { allocate })).rejects.toMatchObject({
      code: 'HASH_MISMATCH',
    });
    await expect(
      store.get(packed.contentHash, { allocate: () => new Uint8Array(16) }),
    ).rejects.toThrow(`the read buffer holds 16 bytes, not the ${served.byteLength} asked for`);
  });

  it('refuses an object over its archive limit before reading it', async () => {
    const { store, packed, served } = await storedBundle('over-');
    const strict = new FsBundleStore({
      root: store.root,
      limits: { maxTotalBytes: 64, maxFiles: 1 },
    });
    const asked: number[] = [];
    const allocate = (byteLength: number) => {
      asked.push(byteLength);
      return new Uint8Array(byteLength);
    };
    await expect(strict.get(packed.contentHash, { allocate })).rejects.toMatchObject({
      code: 'TOO_LARGE',
      message: expect.stringContaining(`is ${served.byteLength} bytes, over the`),
    });
    expect(asked).toEqual([]);
  });
});

describe('S3BundleStore requests', () => {
  it('sends a HEAD, then a conditional PUT with If-None-Match: * under <prefix>sha256/<hex>', async () => {
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
    });
    const seen: Array<{ method: string; path: string; ifNoneMatch: string | undefined }> = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as {
          method: string;
          path: string;
          headers: Record<string, string>;
        };
        seen.push({
          method: request.method,
          path: request.path,
          ifNoneMatch: request.headers['if-none-match'],
        });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequests' },
    );
    await raw.send(new CreateBucketCommand({ Bucket: 'recorded' }));
    const store = new S3BundleStore({ bucket: 'recorded', prefix: 'p/', client });
    const packed = await packBundle(projectFiles());
    await store.put(packed.bytes);
    await store.put(packed.bytes);
    const key = `/recorded/p/sha256/${packed.contentHash.slice(7)}`;
    expect(seen).toEqual([
      { method: 'HEAD', path: key, ifNoneMatch: undefined },
      { method: 'PUT', path: key, ifNoneMatch: '*' },
      { method: 'HEAD', path: key, ifNoneMatch: undefined },
    ]);
    client.destroy();
  });

  it('reports an unreachable service as STORE_UNAVAILABLE without leaking credentials', async () => {
    const store = new S3BundleStore({
      bucket: 'nowhere',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'very-secret-key-value' },
    });
    const error = await store.has(`sha256:${'0'.repeat(64)}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((error as Error).message).toContain('s3://nowhere/sha256/');
    const { inspect } = await import('node:util');
    expect(inspect(store, { depth: 5 })).not.toContain('very-secret-key-value');
    expect((error as Error).message).not.toContain('very-secret-key-value');
  });
});
