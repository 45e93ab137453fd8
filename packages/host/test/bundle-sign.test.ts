import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  BundleError,
  type BundleErrorCode,
  type BundleSignature,
  generateSigningKey,
  loadSigningKey,
  loadTrustBundle,
  packBundle,
  parseBundleSignature,
  parsePublicKey,
  readBundle,
  SigningKey,
  serializeBundleSignature,
  signaturePayload,
  signBundle,
  type TrustStore,
  verifyBundle,
} from '@alga/host';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexedEntries, projectFiles, rawArchive } from './fixtures/bundle-project.js';

async function codeOf(promise: Promise<unknown>): Promise<BundleErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof BundleError) return error.code;
    throw error;
  }
}

function trustFor(
  key: SigningKey,
  extra: { notBefore?: string; notAfter?: string; revoked?: string[]; publisher?: string } = {},
): TrustStore {
  const { revoked, publisher, ...window } = extra;
  return loadTrustBundle({
    keys: [
      {
        kid: key.keyId,
        publicKey: key.publicKeyDocument().publicKey,
        publisher: publisher ?? 'example',
        ...window,
      },
    ],
    revoked: revoked ?? [],
  });
}

let key: SigningKey;
let other: SigningKey;
let bytes: Uint8Array;
let signature: BundleSignature;
let trust: TrustStore;

beforeAll(async () => {
  key = await generateSigningKey();
  other = await generateSigningKey();
  bytes = (await packBundle(projectFiles())).bytes;
  signature = await signBundle(bytes, key);
  trust = trustFor(key);
});

describe('signing keys', () => {
  it('derives a stable key id from the public key, the same through PEM, JSON and raw bytes', () => {
    expect(key.keyId).toMatch(/^ed25519:[A-Za-z0-9_-]{16}$/);
    expect(loadSigningKey(key.toPkcs8Pem()).keyId).toBe(key.keyId);
    expect(parsePublicKey(key.publicKeyPem()).keyId).toBe(key.keyId);
    expect(parsePublicKey(key.publicKeyDocument().publicKey).keyId).toBe(key.keyId);
    expect(parsePublicKey(Buffer.from(key.publicKey).toString('base64url')).keyId).toBe(key.keyId);
    expect(other.keyId).not.toBe(key.keyId);
  });

  it('writes standard PKCS#8 and SPKI that OpenSSL (node:crypto) signs and verifies with', async () => {
    const message = Buffer.from('interop');
    const privateKey = createPrivateKey(key.toPkcs8Pem());
    expect(privateKey.asymmetricKeyType).toBe('ed25519');
    const fromNode = nodeSign(null, message, privateKey);
    expect(nodeVerify(null, message, createPublicKey(key.publicKeyPem()), fromNode)).toBe(true);
    expect(Buffer.from(await key.sign(message))).toEqual(fromNode);
  });

  it('never shows the private key in inspect, JSON or string output', () => {
    const pem = key.toPkcs8Pem();
    const body = pem.split('\n')[1] ?? '';
    const seed = Buffer.from(
      createPrivateKey(pem).export({ format: 'jwk' }).d ?? '',
      'base64url',
    ).toString('hex');
    for (const shown of [
      inspect(key, { depth: 10, showHidden: true }),
      JSON.stringify(key),
      String(key),
      `${key}`,
    ]) {
      expect(shown).toContain(key.keyId);
      expect(shown).not.toContain(body);
      expect(shown).not.toContain(seed);
      expect(shown).not.toContain(Buffer.from(seed, 'hex').toString('base64url'));
    }
  });

  it('refuses keys that are not ed25519 PKCS#8, and private keys where a public key belongs', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      loadSigningKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
    ).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
    expect(() => loadSigningKey('not a key')).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
    expect(() => parsePublicKey(key.toPkcs8Pem())).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });
});

describe('signature test vector (docs/bundle-format.md)', () => {
  it('reproduces the documented key id and signature, which OpenSSL (node:crypto) verifies', async () => {
    const pem = [
      '-----BEGIN PRIVATE KEY-----',
      'MC4CAQAwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH',
      '-----END PRIVATE KEY-----',
      '',
    ].join('\n');
    const testKey = loadSigningKey(pem);
    expect(testKey.keyId).toBe('ed25519:Mkvi3qi8REYbAjPl');
    expect(new SigningKey(new Uint8Array(32).fill(7)).keyId).toBe(testKey.keyId);
    expect(testKey.toPkcs8Pem()).toBe(pem);
    expect(testKey.publicKeyDocument().publicKey).toBe(
      'MCowBQYDK2VwAyEA6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=',
    );
    const vector = await signBundle(
      { contentHash: 'sha256:b9a67ce102dbd1bcb93793e313ee264b4647d6138a6acc4fd2169cdd2d423cfc' },
      testKey,
      { signedAt: new Date('2026-01-01T00:00:00.000Z') },
    );
    expect(vector.signature).toBe(
      'KLJVJl5e5pEdbQ33OLZBi6aLQBef_BrnRn8NSqUv1lvsC68qqFqdv-saY867gsETaFp9l3tHxYtk1E3XZpAYAw',
    );
    const payload = Buffer.from(
      'alga-bundle-signature/v1\nsha256:b9a67ce102dbd1bcb93793e313ee264b4647d6138a6acc4fd2169cdd2d423cfc\ned25519:Mkvi3qi8REYbAjPl\n2026-01-01T00:00:00.000Z\n',
    );
    expect(
      nodeVerify(
        null,
        payload,
        createPublicKey(testKey.publicKeyPem()),
        Buffer.from(vector.signature, 'base64url'),
      ),
    ).toBe(true);
    const doc = await readFile(new URL('../../../docs/bundle-format.md', import.meta.url), 'utf8');
    expect(doc).toContain(vector.signature);
    expect(doc).toContain(testKey.keyId);
  });
});

describe('signBundle and verifyBundle', () => {
  it('verifies a signed bundle and returns the signer, the content and the signature', async () => {
    const verified = await verifyBundle(bytes, signature, trust);
    expect(verified.signer).toEqual({ keyId: key.keyId, publisher: 'example' });
    expect(verified.contentHash).toBe(signature.contentHash);
    expect(verified.manifest.name).toBe('com.example.hello');
    expect(verified.signedAt.toISOString()).toBe(signature.signedAt);
    expect(signature).toMatchObject({ algorithm: 'ed25519', keyId: key.keyId });
    expect(signature.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it('signs the domain-separated payload of content hash, key id and signing time', async () => {
    const { verifyAsync } = await import('@noble/ed25519');
    const payload = new TextDecoder().decode(signaturePayload(signature));
    expect(payload).toBe(
      `alga-bundle-signature/v1\n${signature.contentHash}\n${key.keyId}\n${signature.signedAt}\n`,
    );
    const raw = Buffer.from(signature.signature, 'base64url');
    expect(await verifyAsync(raw, signaturePayload(signature), key.publicKey)).toBe(true);
  });

  it('round-trips the signature file text', async () => {
    const textForm = serializeBundleSignature(signature);
    expect(parseBundleSignature(textForm)).toEqual(signature);
    expect(JSON.parse(textForm)).toEqual(signature);
    await expect(verifyBundle(bytes, parseBundleSignature(textForm), trust)).resolves.toBeDefined();
  });

  it('verifies with a PEM trust bundle, whose keys carry no publisher', async () => {
    const pemTrust = loadTrustBundle(other.publicKeyPem() + key.publicKeyPem());
    const verified = await verifyBundle(bytes, signature, pemTrust);
    expect(verified.signer).toEqual({ keyId: key.keyId, publisher: null });
  });

  it('signs only well-formed bundles', async () => {
    const hostile = await rawArchive([
      ...indexedEntries(),
      { name: '../x', body: new Uint8Array(1) },
    ]);
    expect(await codeOf(signBundle(hostile, key))).toBe('UNSAFE_PATH');
    expect(await codeOf(signBundle({ contentHash: 'sha256:abc' }, key))).toBe(
      'INVALID_CONTENT_HASH',
    );
  });
});

describe('tampering', () => {
  it('fails with HASH_MISMATCH when any byte of any file changes, index rebuilt or not', async () => {
    const files = projectFiles();
    for (const [path, original] of files) {
      for (const at of [0, Math.floor(original.length / 2), original.length - 1]) {
        const flipped = Uint8Array.from(original);
        flipped[at] = (flipped[at] ?? 0) ^ 0x01;
        const changed = new Map(files).set(path, flipped);
        const reindexed = await rawArchive(indexedEntries(changed));
        expect(await codeOf(verifyBundle(reindexed, signature, trust))).toBe('HASH_MISMATCH');
        const staleIndex = indexedEntries(files).map((entry) =>
          entry.name === path ? { ...entry, body: flipped } : entry,
        );
        expect(await codeOf(verifyBundle(await rawArchive(staleIndex), signature, trust))).toBe(
          'HASH_MISMATCH',
        );
      }
    }
  });

  it('fails when any byte of the compressed bundle changes, unless the content it inflates to is unchanged', async () => {
    const content = gunzipSync(bytes);
    let rejected = 0;
    for (let at = 0; at < bytes.length; at += 1) {
      const flipped = Uint8Array.from(bytes);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      const outcome = await verifyBundle(flipped, signature, trust).then(
        (verified) => verified.contentHash,
        (error: unknown) => (error instanceof BundleError ? error.code : 'crash'),
      );
      if (outcome === signature.contentHash) {
        // gzip header fields (flags, mtime, OS) and spare Huffman code lengths are transport only.
        expect(gunzipSync(flipped).equals(content)).toBe(true);
      } else {
        expect(['MALFORMED', 'HASH_MISMATCH', 'DECOMPRESSION_BOMB']).toContain(outcome);
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(bytes.length * 0.95);
  });

  it('fails with SIGNATURE_INVALID when any bit of the signature changes', async () => {
    const raw = Buffer.from(signature.signature, 'base64url');
    for (let at = 0; at < raw.length; at += 1) {
      const flipped = Buffer.from(raw);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      const forged = { ...signature, signature: flipped.toString('base64url') };
      expect(await codeOf(verifyBundle(bytes, forged, trust))).toBe('SIGNATURE_INVALID');
    }
  });

  it('fails for every single-byte change of the signature file', async () => {
    const textForm = Buffer.from(serializeBundleSignature(signature));
    const seen = new Set<string>();
    for (let at = 0; at < textForm.length; at += 1) {
      const flipped = Buffer.from(textForm);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      const outcome = await codeOf(
        (async () => verifyBundle(bytes, parseBundleSignature(new Uint8Array(flipped)), trust))(),
      );
      expect(outcome).not.toBe('resolved');
      seen.add(outcome);
    }
    // The content hash, key id and time are all signed, so a changed value that still parses fails the signature.
    expect([...seen].sort()).toEqual([
      'SIGNATURE_INVALID',
      'SIGNATURE_MALFORMED',
      'UNTRUSTED_SIGNER',
    ]);
  });

  it('fails with SIGNATURE_INVALID when the signing time or key id is changed to another valid value', async () => {
    const later = {
      ...signature,
      signedAt: new Date(Date.parse(signature.signedAt) - 1000).toISOString(),
    };
    expect(await codeOf(verifyBundle(bytes, later, trust))).toBe('SIGNATURE_INVALID');
    const both = loadTrustBundle({
      keys: [
        { kid: key.keyId, publicKey: key.publicKeyDocument().publicKey, publisher: 'example' },
        { kid: other.keyId, publicKey: other.publicKeyDocument().publicKey, publisher: 'example' },
      ],
    });
    expect(await codeOf(verifyBundle(bytes, { ...signature, keyId: other.keyId }, both))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it("fails with HASH_MISMATCH for another bundle's valid signature", async () => {
    const files = projectFiles();
    files.set('ui/extra.js', new TextEncoder().encode('1'));
    const another = (await packBundle(files)).bytes;
    const anotherSignature = await signBundle(another, key);
    expect(await codeOf(verifyBundle(bytes, anotherSignature, trust))).toBe('HASH_MISMATCH');
  });
});

describe('trust decisions', () => {
  it('refuses a signer the trust bundle does not know', async () => {
    const error = await verifyBundle(bytes, signature, trustFor(other)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNTRUSTED_SIGNER' });
    expect((error as Error).message).toContain(key.keyId);
  });

  it('refuses a revoked key for every bundle, whenever it was signed', async () => {
    const oldSignature = await signBundle(bytes, key, {
      signedAt: new Date('2020-01-01T00:00:00Z'),
    });
    const revoked = trustFor(key, { revoked: [key.keyId] });
    expect(await codeOf(verifyBundle(bytes, signature, revoked))).toBe('KEY_REVOKED');
    expect(await codeOf(verifyBundle(bytes, oldSignature, revoked))).toBe('KEY_REVOKED');
  });

  it('judges key validity at signedAt, so a bundle signed before expiry still verifies after it', async () => {
    const expiring = trustFor(key, {
      notBefore: '2024-01-01T00:00:00Z',
      notAfter: '2025-01-01T00:00:00Z',
    });
    const inWindow = await signBundle(bytes, key, { signedAt: new Date('2024-06-01T00:00:00Z') });
    const verified = await verifyBundle(bytes, inWindow, expiring, {
      now: new Date('2030-01-01T00:00:00Z'),
    });
    expect(verified.signer.keyId).toBe(key.keyId);
    const afterExpiry = await signBundle(bytes, key, {
      signedAt: new Date('2025-01-01T00:00:00.001Z'),
    });
    expect(await codeOf(verifyBundle(bytes, afterExpiry, expiring))).toBe('KEY_EXPIRED');
    const beforeStart = await signBundle(bytes, key, {
      signedAt: new Date('2023-12-31T23:59:59.999Z'),
    });
    expect(await codeOf(verifyBundle(bytes, beforeStart, expiring))).toBe('KEY_NOT_YET_VALID');
  });

  it('refuses a signature dated further in the future than the clock skew allows', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const soon = await signBundle(bytes, key, { signedAt: new Date(now.getTime() + 60_000) });
    expect((await verifyBundle(bytes, soon, trust, { now })).signer.keyId).toBe(key.keyId);
    const future = await signBundle(bytes, key, {
      signedAt: new Date(now.getTime() + 10 * 60_000),
    });
    expect(await codeOf(verifyBundle(bytes, future, trust, { now }))).toBe('SIGNATURE_FROM_FUTURE');
    expect(
      await codeOf(verifyBundle(bytes, future, trust, { now, maxClockSkewMs: 11 * 60_000 })),
    ).toBe('resolved');
  });

  it('checks the signature before unpacking anything: junk bytes with a forged signature are refused as such', async () => {
    const forged = { ...signature, signature: Buffer.alloc(64).toString('base64url') };
    expect(await codeOf(verifyBundle(new Uint8Array(10), forged, trust))).toBe('SIGNATURE_INVALID');
    expect(await codeOf(verifyBundle(new Uint8Array(10), signature, trustFor(other)))).toBe(
      'UNTRUSTED_SIGNER',
    );
    expect(await codeOf(verifyBundle(new Uint8Array(10), signature, trust))).toBe('MALFORMED');
  });

  it('reads the bundle under the given limits', async () => {
    expect(await codeOf(verifyBundle(bytes, signature, trust, { limits: { maxFiles: 2 } }))).toBe(
      'TOO_MANY_FILES',
    );
    expect((await readBundle(bytes)).contentHash).toBe(signature.contentHash);
  });
});
