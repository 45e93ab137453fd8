import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BundleError,
  type BundleSignature,
  createTrustSource,
  generateSigningKey,
  loadTrustBundle,
  packBundle,
  type SigningKey,
  signBundle,
  type TrustBundleDocument,
  type TrustStore,
  verifyBundle,
} from '@alga/host';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectFiles } from './fixtures/bundle-project.js';

let work: string;
let key: SigningKey;
let second: SigningKey;
let bytes: Uint8Array;
let signature: BundleSignature;

function entry(k: SigningKey, extra: Record<string, string> = {}) {
  return {
    kid: k.keyId,
    publicKey: k.publicKeyDocument().publicKey,
    publisher: 'example',
    ...extra,
  };
}

function trustError(run: () => unknown): BundleError {
  try {
    run();
  } catch (error) {
    return error as BundleError;
  }
  throw new Error('expected loadTrustBundle to throw');
}

async function outcome(trust: TrustStore): Promise<string> {
  return verifyBundle(bytes, signature, trust).then(
    (verified) => `ok:${verified.signer.keyId}`,
    (error: BundleError) => error.code,
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'alga-trust-'));
  key = await generateSigningKey();
  second = await generateSigningKey();
  bytes = (await packBundle(projectFiles())).bytes;
  signature = await signBundle(bytes, key);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('loadTrustBundle', () => {
  it('reads a PEM bundle with several keys, each without a publisher', () => {
    const trust = loadTrustBundle(
      `# operators' keys\n${key.publicKeyPem()}\n${second.publicKeyPem()}`,
    );
    expect(
      trust
        .keys()
        .map((k) => k.keyId)
        .sort(),
    ).toEqual([key.keyId, second.keyId].sort());
    expect(trust.resolve(key.keyId)?.publisher).toBeNull();
    expect(trust.source).toBe('inline');
  });

  it('reads the JSON form, with validity windows and revocations, and accepts a .pub.json entry as is', () => {
    const document: TrustBundleDocument = {
      keys: [
        {
          ...key.publicKeyDocument('example'),
          publisher: 'example',
          notBefore: '2024-01-01T00:00:00Z',
        },
        entry(second, { notAfter: '2030-01-01T00:00:00+02:00' }),
      ],
      revoked: [second.keyId, 'ed25519:somebodyElse0000'],
    };
    const trust = loadTrustBundle(JSON.stringify(document));
    expect(trust.resolve(key.keyId)).toMatchObject({ publisher: 'example', notAfter: undefined });
    expect(trust.resolve(key.keyId)?.notBefore?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(trust.resolve(second.keyId)?.notAfter?.toISOString()).toBe('2029-12-31T22:00:00.000Z');
    expect(trust.isRevoked(second.keyId)).toBe(true);
    expect(trust.isRevoked(key.keyId)).toBe(false);
  });

  it('names the field that is wrong', () => {
    const cases: Array<[unknown, string]> = [
      [{ keys: [{ ...entry(key), publicKey: 'bm90IGEga2V5' }] }, 'keys[0].publicKey'],
      [{ keys: [entry(key), { ...entry(second), kid: key.keyId }] }, 'keys[1].kid'],
      [{ keys: [entry(key), entry(key)] }, 'keys[1].kid'],
      [{ keys: [{ ...entry(key), notAfter: 'tomorrow' }] }, 'keys[0].notAfter'],
      [
        {
          keys: [
            entry(key, { notBefore: '2030-01-01T00:00:00Z', notAfter: '2020-01-01T00:00:00Z' }),
          ],
        },
        'keys[0].notAfter',
      ],
      [{ keys: [{ ...entry(key), notafter: '2030-01-01T00:00:00Z' }] }, 'keys[0]'],
      [{ keys: [{ ...entry(key), publisher: undefined }] }, 'keys[0].publisher'],
      [{ keys: [entry(key)], revoked: 'all' }, 'revoked'],
      [{}, 'keys'],
    ];
    for (const [document, field] of cases) {
      const error = trustError(() => loadTrustBundle(JSON.stringify(document)));
      expect(error.code).toBe('TRUST_INVALID');
      expect(error.message).toContain(field);
    }
  });

  it('refuses a private key, a certificate or an empty PEM, and text that is neither PEM nor JSON', () => {
    expect(trustError(() => loadTrustBundle(key.toPkcs8Pem())).message).toContain('"PRIVATE KEY"');
    expect(
      trustError(() =>
        loadTrustBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      ).message,
    ).toContain('"CERTIFICATE"');
    expect(trustError(() => loadTrustBundle('{"keys": [')).code).toBe('TRUST_INVALID');
    expect(
      trustError(() => loadTrustBundle(new TextEncoder().encode('-----BEGIN nothing'))).code,
    ).toBe('TRUST_INVALID');
    expect(trustError(() => loadTrustBundle(join(work, 'missing.json'))).message).toContain(
      'ENOENT',
    );
  });
});

describe('reloading', () => {
  it('applies a revocation on reload() without a restart, and keeps the old keys when an edit is broken', async () => {
    const path = join(work, 'trust.json');
    await writeFile(path, JSON.stringify({ keys: [entry(key)] }));
    const trust = loadTrustBundle(path);
    expect(trust.source).toBe(path);
    expect(await outcome(trust)).toBe(`ok:${key.keyId}`);

    await writeFile(path, '{"keys": [ broken');
    expect(() => trust.reload()).toThrow(expect.objectContaining({ code: 'TRUST_INVALID' }));
    expect(await outcome(trust)).toBe(`ok:${key.keyId}`);

    await writeFile(path, JSON.stringify({ keys: [entry(key)], revoked: [key.keyId] }));
    trust.reload();
    expect(await outcome(trust)).toBe('KEY_REVOKED');
  });

  it('follows the file by itself, including a replace-by-rename, and reports a bad edit', async () => {
    const path = join(work, 'watched.json');
    await writeFile(path, JSON.stringify({ keys: [entry(second)] }));
    const onReload = vi.fn();
    const onError = vi.fn();
    const source = createTrustSource({ path, watchIntervalMs: 20, onReload, onError });
    try {
      expect(await outcome(source)).toBe('UNTRUSTED_SIGNER');

      const staged = join(work, 'watched.json.tmp');
      await writeFile(staged, JSON.stringify({ keys: [entry(second), entry(key)] }));
      await rename(staged, path);
      await vi.waitFor(() => expect(onReload).toHaveBeenCalled(), { timeout: 3000, interval: 20 });
      expect(await outcome(source)).toBe(`ok:${key.keyId}`);

      await writeFile(path, 'garbage that is not a trust bundle');
      await vi.waitFor(() => expect(onError).toHaveBeenCalled(), { timeout: 3000, interval: 20 });
      expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'TRUST_INVALID' }));
      expect(await outcome(source)).toBe(`ok:${key.keyId}`);
    } finally {
      source.close();
    }
  });

  it('takes SIGNING_TRUST_BUNDLE as a path or as the bundle itself, and says when it is unset', async () => {
    const inline = createTrustSource({ env: { SIGNING_TRUST_BUNDLE: key.publicKeyPem() } });
    expect(inline.source).toBe('inline');
    expect(await outcome(inline)).toBe(`ok:${key.keyId}`);
    inline.close();

    const path = join(work, 'env.pem');
    await writeFile(path, key.publicKeyPem());
    const fromPath = createTrustSource({ env: { SIGNING_TRUST_BUNDLE: path }, watchIntervalMs: 0 });
    expect(fromPath.source).toBe(path);
    fromPath.close();

    expect(() => createTrustSource({ env: {} })).toThrow(
      expect.objectContaining({ code: 'TRUST_INVALID' }),
    );
  });
});
