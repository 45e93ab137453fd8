import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../src/bundle/keys';
import { packBundle } from '../src/bundle/pack';
import { signBundle } from '../src/bundle/signature';
import { MemoryRegistryStore } from '../src/registry/memory-store';
import { createComponentLoader, signaturesFromRegistry } from '../src/runner/engine/loader';
import { FsBundleStore } from '../src/store/fs-store';
import { loadTrustBundle } from '../src/trust/trust';

const manifest = {
  name: 'com.example.loader',
  publisher: 'loader-tests',
  version: '2.0.0',
  displayName: 'Loader',
  description: 'A bundle for the runner load path.',
  runtime: 'wasm-js@1',
  entry: 'dist/component.wasm',
  capabilities: ['cap:context.read'],
};

describe('component loader', () => {
  it('loads a bundle whose signature the registry recorded, refuses a version the registry holds no signature for, and an untrusted signer', async () => {
    const { store, packed, trust, registry } = await storedAndSigned();
    const { component } = packed;
    const load = createComponentLoader({
      store,
      trust,
      signatures: signaturesFromRegistry(registry),
    });
    const { release, ...loaded } = await load(packed.contentHash, {
      extensionId: manifest.name,
      version: manifest.version,
    });
    release?.();
    expect(loaded).toEqual({
      component,
      componentDigest: `sha256:${createHash('sha256').update(component).digest('hex')}`,
      extensionId: manifest.name,
      version: manifest.version,
    });
    await expect(
      load(packed.contentHash, { extensionId: manifest.name, version: '9.9.9' }),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
      message: `no signature is known for bundle ${packed.contentHash}; it is not run unsigned`,
    });
    await expect(load(packed.contentHash, undefined)).rejects.toMatchObject({ code: 'INTEGRITY' });
    const otherTrust = createComponentLoader({
      store,
      trust: loadTrustBundle({ keys: [] }),
      signatures: signaturesFromRegistry(registry),
    });
    await expect(
      otherTrust(packed.contentHash, { extensionId: manifest.name, version: manifest.version }),
    ).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
  });

  it('reads each bundle into the buffer the last released load gave back, and a failed load gives its buffer back', async () => {
    const { store, packed, trust, registry } = await storedAndSigned();
    const buffers: Uint8Array[] = [];
    const load = createComponentLoader({
      store: {
        get: (contentHash, options) =>
          store.get(contentHash, {
            allocate: (byteLength) => {
              const buffer = options?.allocate?.(byteLength) ?? new Uint8Array(byteLength);
              buffers.push(buffer);
              return buffer;
            },
          }),
      },
      trust,
      signatures: signaturesFromRegistry(registry),
    });
    const hint = { extensionId: manifest.name, version: manifest.version };
    const first = await load(packed.contentHash, hint);
    const overlapping = await load(packed.contentHash, hint);
    expect(overlapping.component.buffer).not.toBe(first.component.buffer);
    first.release?.();
    const next = await load(packed.contentHash, hint);
    expect(next.component.buffer).toBe(first.component.buffer);
    expect(next.component).toEqual(packed.component);

    await expect(
      load(packed.contentHash, { extensionId: manifest.name, version: '9.9.9' }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    const failedWith = buffers.at(-1);
    const afterFailure = await load(packed.contentHash, hint);
    expect(afterFailure.component.buffer).toBe(failedWith?.buffer);
    expect(new Set(buffers.map((buffer) => buffer.buffer)).size).toBe(3);
  });
});

/** A bundle stored, its signature recorded in a registry, and a trust store for its key. */
async function storedAndSigned() {
  const component = new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
  const packed = await packBundle({
    'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)),
    'dist/component.wasm': component,
  });
  const key = await generateSigningKey();
  const signature = await signBundle(packed.bytes, key);
  const store = new FsBundleStore({ root: await mkdtemp(join(tmpdir(), 'alga-loader-')) });
  await store.put(packed.bytes);
  const registry = new MemoryRegistryStore();
  await registry.open();
  await registry.insertVersion({
    extensionId: manifest.name,
    version: manifest.version,
    manifest,
    contentHash: packed.contentHash,
    signature,
    publisherKeyId: key.keyId,
    publisher: manifest.publisher,
    bundleSize: packed.bytes.byteLength,
    componentSize: component.byteLength,
    publishedAt: new Date().toISOString(),
    state: 'active',
  });
  const trust = loadTrustBundle({
    keys: [
      {
        kid: key.keyId,
        publicKey: key.publicKeyDocument().publicKey,
        publisher: manifest.publisher,
      },
    ],
  });
  return { store, packed: { ...packed, component }, trust, registry };
}
