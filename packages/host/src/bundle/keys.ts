import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { keygenAsync, signAsync } from '@noble/ed25519';
import { BundleError } from './errors.js';

/** The public half of a signing key as `alga keygen` writes it to `<prefix>.pub.json`; also a trust-bundle key entry. */
export interface PublicKeyDocument {
  /** Key id: `ed25519:` and the first 16 base64url characters of sha256(SPKI DER). */
  readonly kid: string;
  /** Always `ed25519`. */
  readonly algorithm: 'ed25519';
  /** Base64 of the SPKI DER (the body of the PEM). */
  readonly publicKey: string;
  /** Publisher the key signs for, when given at `alga keygen --publisher`. */
  readonly publisher?: string;
}

/** A parsed ed25519 public key. */
export interface PublicKeyInfo {
  /** Key id derived from the key (see {@link keyIdOf}). */
  readonly keyId: string;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** DER of a PKCS#8 v1 ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function spkiDer(publicKey: Uint8Array): Buffer {
  return Buffer.concat([SPKI_ED25519_PREFIX, publicKey]);
}

/**
 * The key id of a raw ed25519 public key: `ed25519:` followed by the first 16 characters
 * (96 bits) of the base64url sha256 of its SPKI DER encoding. Stable across encodings.
 */
export function keyIdOf(publicKey: Uint8Array): string {
  if (publicKey.byteLength !== 32) {
    throw new BundleError(
      'KEY_INVALID',
      `An ed25519 public key is 32 bytes, got ${publicKey.byteLength}.`,
    );
  }
  return `ed25519:${createHash('sha256').update(spkiDer(publicKey)).digest('base64url').slice(0, 16)}`;
}

function rawPublicKey(key: KeyObject, what: string): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new BundleError(
      'KEY_INVALID',
      `${what} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; Alga signs with ed25519 only.`,
    );
  }
  const { x } = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x ?? '', 'base64url'));
}

/**
 * Parses an ed25519 public key from a PEM `PUBLIC KEY` block, base64 of its SPKI DER, or
 * base64/base64url of the raw 32 bytes.
 */
export function parsePublicKey(input: string, what = 'The public key'): PublicKeyInfo {
  const text = input.trim();
  if (text.includes('PRIVATE KEY-----')) {
    throw new BundleError(
      'KEY_INVALID',
      `${what} is a private key. Only public keys belong here; keep the private key secret and use its .pub.pem or .pub.json.`,
    );
  }
  let key: KeyObject;
  try {
    if (text.startsWith('-----BEGIN')) {
      key = createPublicKey({ key: text, format: 'pem' });
    } else {
      const der = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
      key =
        der.byteLength === 32
          ? createPublicKey({
              key: { kty: 'OKP', crv: 'Ed25519', x: der.toString('base64url') },
              format: 'jwk',
            })
          : createPublicKey({ key: der, format: 'der', type: 'spki' });
    }
  } catch (cause) {
    throw new BundleError(
      'KEY_INVALID',
      `${what} is not an ed25519 public key (PEM "PUBLIC KEY", base64 SPKI, or base64 of 32 raw bytes).`,
      { cause },
    );
  }
  const publicKey = rawPublicKey(key, what);
  return { keyId: keyIdOf(publicKey), publicKey };
}

/** PEM (SPKI, `PUBLIC KEY`) of a raw ed25519 public key. */
export function publicKeyToPem(publicKey: Uint8Array): string {
  const body = spkiDer(publicKey).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}

/**
 * An ed25519 private key for signing bundles. The secret seed lives in a private field:
 * `util.inspect`, `JSON.stringify` and string conversion show only the key id.
 * Create one with {@link generateSigningKey} or {@link loadSigningKey}.
 */
export class SigningKey {
  /** Key id of the public half. */
  readonly keyId: string;
  /** The raw 32-byte public key. */
  readonly publicKey: Uint8Array;
  readonly #seed: Uint8Array;

  /** Wraps a 32-byte ed25519 seed (the public key is derived from it); see also {@link generateSigningKey} / {@link loadSigningKey}. */
  constructor(seed: Uint8Array) {
    if (seed.byteLength !== 32) {
      throw new BundleError(
        'KEY_INVALID',
        `An ed25519 private key seed is 32 bytes, got ${seed.byteLength}.`,
      );
    }
    this.#seed = Uint8Array.from(seed);
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
    const { x } = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    });
    this.publicKey = new Uint8Array(Buffer.from(x ?? '', 'base64url'));
    this.keyId = keyIdOf(this.publicKey);
  }

  /** Signs `message` with ed25519 (`@noble/ed25519`, RFC 8032). */
  sign(message: Uint8Array): Promise<Uint8Array> {
    return signAsync(message, this.#seed);
  }

  /** The private key as PKCS#8 PEM (`PRIVATE KEY`), the format of `<prefix>.key`. Handle with care. */
  toPkcs8Pem(): string {
    const jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: base64url(this.#seed),
      x: base64url(this.publicKey),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  }

  /** The public key as PEM (SPKI). */
  publicKeyPem(): string {
    return publicKeyToPem(this.publicKey);
  }

  /** The public key document written to `<prefix>.pub.json`. */
  publicKeyDocument(publisher?: string): PublicKeyDocument {
    const base = {
      kid: this.keyId,
      algorithm: 'ed25519' as const,
      publicKey: spkiDer(this.publicKey).toString('base64'),
    };
    return publisher === undefined ? base : { ...base, publisher };
  }

  /** Only the key id: the seed never serialises. */
  toJSON(): { keyId: string } {
    return { keyId: this.keyId };
  }

  /** Only the key id: the seed never prints. */
  toString(): string {
    return `SigningKey(${this.keyId})`;
  }

  [inspect.custom](): string {
    return `SigningKey { keyId: '${this.keyId}', privateKey: [redacted] }`;
  }
}

/**
 * A fresh random ed25519 signing key.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey();
 * await writeFile('alga.key', key.toPkcs8Pem(), { mode: 0o600 });
 * ```
 */
export async function generateSigningKey(): Promise<SigningKey> {
  const { secretKey } = await keygenAsync();
  return new SigningKey(secretKey);
}

/** Loads a signing key from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `alga keygen` writes it. */
export function loadSigningKey(pem: string | Uint8Array): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(pem), format: 'pem' });
  } catch (cause) {
    throw new BundleError(
      'KEY_INVALID',
      'The signing key is not an unencrypted PKCS#8 PEM private key ("-----BEGIN PRIVATE KEY-----"); create one with `alga keygen`.',
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new BundleError(
      'KEY_INVALID',
      `The signing key is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; Alga signs with ed25519 only.`,
    );
  }
  const { d } = key.export({ format: 'jwk' });
  return new SigningKey(Buffer.from(d ?? '', 'base64url'));
}
