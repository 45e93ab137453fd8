import { createPublicKey, verify as verifyNative } from 'node:crypto';
import { z } from 'zod';
import type { TrustStore } from '../trust/trust.js';
import { BundleError } from './errors.js';
import { assertContentHash } from './hash.js';
import type { SigningKey } from './keys.js';
import type { BundleLimits } from './limits.js';
import { readBundle } from './read.js';

/**
 * A detached bundle signature (`ext.algabundle.sig`). The ed25519 signature covers the
 * content hash, the key id and `signedAt` together (see {@link signaturePayload}), so
 * none of them can be changed without the signing key.
 */
export interface BundleSignature {
  /** Content hash of the signed bundle, `sha256:<hex>`. */
  readonly contentHash: string;
  /** Id of the signing key (`ed25519:…`). */
  readonly keyId: string;
  /** Always `ed25519`. */
  readonly algorithm: 'ed25519';
  /** The 64-byte signature, base64url without padding. */
  readonly signature: string;
  /** When it was signed, as `Date#toISOString()` writes it (UTC, milliseconds). */
  readonly signedAt: string;
}

/** Who signed a verified bundle. */
export interface BundleSigner {
  /** Key id from the signature. */
  readonly keyId: string;
  /** Publisher the trust bundle names for the key; `null` for PEM trust bundles. */
  readonly publisher: string | null;
}

/** Domain separator: a bundle signature can never be mistaken for a signature over anything else. */
export const SIGNATURE_DOMAIN = 'alga-bundle-signature/v1';

const base64url64 = /^[A-Za-z0-9_-]{86}$/;

const signatureSchema = z.strictObject({
  contentHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lower-case hex digits'),
  keyId: z.string().min(1).max(200),
  algorithm: z.literal('ed25519'),
  signature: z.string().regex(base64url64, 'expected 86 base64url characters (64 bytes)'),
  signedAt: z.iso.datetime({ precision: 3 }),
});

/**
 * The exact bytes an ed25519 bundle signature signs: the UTF-8 of
 * `alga-bundle-signature/v1\n<contentHash>\n<keyId>\n<signedAt>\n`.
 */
export function signaturePayload(
  fields: Pick<BundleSignature, 'contentHash' | 'keyId' | 'signedAt'>,
): Uint8Array {
  return new TextEncoder().encode(
    `${SIGNATURE_DOMAIN}\n${fields.contentHash}\n${fields.keyId}\n${fields.signedAt}\n`,
  );
}

/**
 * Parses a detached signature from its JSON text, bytes or object, throwing
 * `SIGNATURE_MALFORMED` (naming the field) for anything but the exact documented shape.
 */
export function parseBundleSignature(input: unknown): BundleSignature {
  let json: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      json = JSON.parse(
        typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input),
      );
    } catch (cause) {
      throw new BundleError('SIGNATURE_MALFORMED', 'The signature file is not valid UTF-8 JSON.', {
        cause,
      });
    }
  }
  const parsed = signatureSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new BundleError(
      'SIGNATURE_MALFORMED',
      `The signature's field "${field}" is invalid: ${issue?.message ?? 'unknown problem'}.`,
    );
  }
  const signature = parsed.data;
  // One encoding per value: base64url's last character has spare bits, and a date has many spellings.
  if (Buffer.from(signature.signature, 'base64url').toString('base64url') !== signature.signature) {
    throw new BundleError(
      'SIGNATURE_MALFORMED',
      'The signature\'s field "signature" is not canonical base64url.',
    );
  }
  if (new Date(signature.signedAt).toISOString() !== signature.signedAt) {
    throw new BundleError(
      'SIGNATURE_MALFORMED',
      'The signature\'s field "signedAt" is not in Date#toISOString() form.',
    );
  }
  return signature;
}

/** The JSON text of a signature file: two-space JSON with a final newline. */
export function serializeBundleSignature(signature: BundleSignature): string {
  const { contentHash, keyId, algorithm, signature: value, signedAt } = signature;
  return `${JSON.stringify({ contentHash, keyId, algorithm, signature: value, signedAt }, null, 2)}\n`;
}

/** Options of {@link signBundle}. */
export interface SignBundleOptions {
  /** The signing time to record (default now). */
  readonly signedAt?: Date;
  /** Limits for reading the bundle before signing it. */
  readonly limits?: Partial<BundleLimits>;
}

/**
 * Signs a bundle with an ed25519 key, producing the detached signature. Given bytes, the
 * bundle is read and checked first (nothing malformed gets signed); given `{contentHash}`
 * (a `ReadBundle`, a `PackedBundle`), that hash is signed as is.
 *
 * @example
 * ```ts
 * const key = loadSigningKey(await readFile('alga.key'));
 * const signature = await signBundle(bytes, key);
 * await writeFile('ext.algabundle.sig', serializeBundleSignature(signature));
 * ```
 */
export async function signBundle(
  bundle: Uint8Array | { readonly contentHash: string },
  key: SigningKey,
  options: SignBundleOptions = {},
): Promise<BundleSignature> {
  const contentHash =
    bundle instanceof Uint8Array
      ? (await readBundle(bundle, options.limits)).contentHash
      : bundle.contentHash;
  assertContentHash(contentHash, 'signBundle');
  const signedAt = (options.signedAt ?? new Date()).toISOString();
  const fields = { contentHash, keyId: key.keyId, signedAt };
  const signature = Buffer.from(await key.sign(signaturePayload(fields))).toString('base64url');
  return { contentHash, keyId: key.keyId, algorithm: 'ed25519', signature, signedAt };
}

/** Options of {@link verifySignature} and `verifyBundle`. */
export interface VerifySignatureOptions {
  /** The current time, for the future-signature check (default now). */
  readonly now?: Date;
  /** How far in the future `signedAt` may lie, for clock skew between signer and verifier (default 5 minutes). */
  readonly maxClockSkewMs?: number;
}

/** What {@link verifySignature} established. */
export interface VerifiedSignature {
  /** The signature, as parsed. */
  readonly signature: BundleSignature;
  /** Who signed it. */
  readonly signer: BundleSigner;
  /** When, as a date. */
  readonly signedAt: Date;
}

const DEFAULT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * RFC 8032 ed25519 verification with OpenSSL (node:crypto): about 20 times faster than the
 * pure-JavaScript `@noble/ed25519`, which stays where there is no native crypto. Like noble's
 * strict mode, OpenSSL refuses a non-canonical `S`. A malformed key or signature is `false`.
 */
function verifyEd25519(signature: Uint8Array, payload: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
    return verifyNative(null, payload, key, signature);
  } catch {
    return false;
  }
}

/**
 * Checks a detached signature against a trust store, without the bundle: the key is
 * trusted (`UNTRUSTED_SIGNER`) and not revoked (`KEY_REVOKED`), the ed25519 signature is
 * valid (`SIGNATURE_INVALID`, strict RFC 8032 rules), `signedAt` is not in the future
 * (`SIGNATURE_FROM_FUTURE`) and lies within the key's validity window
 * (`KEY_NOT_YET_VALID`, `KEY_EXPIRED`). Validity is judged at `signedAt`, not now, so a key
 * that expired after signing still verifies; revocation applies whenever the bundle was signed.
 */
export async function verifySignature(
  input: BundleSignature,
  trust: TrustStore,
  options: VerifySignatureOptions = {},
): Promise<VerifiedSignature> {
  const signature = parseBundleSignature(input);
  const skew = options.maxClockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(skew) || skew < 0) {
    throw new BundleError(
      'INVALID_OPTION',
      `maxClockSkewMs must be a non-negative integer, got ${String(skew)}.`,
    );
  }
  const { keyId } = signature;
  if (trust.isRevoked(keyId)) {
    throw new BundleError(
      'KEY_REVOKED',
      `Signing key ${keyId} is revoked in the trust bundle (${trust.source}); bundles it signed are refused.`,
    );
  }
  const key = trust.resolve(keyId);
  if (key === undefined) {
    throw new BundleError(
      'UNTRUSTED_SIGNER',
      `Signing key ${keyId} is not in the trust bundle (${trust.source}); add its .pub.json/.pub.pem to trust this signer.`,
    );
  }
  const valid = verifyEd25519(
    Buffer.from(signature.signature, 'base64url'),
    signaturePayload(signature),
    key.publicKey,
  );
  if (!valid) {
    throw new BundleError(
      'SIGNATURE_INVALID',
      `The signature does not verify with key ${keyId}: the signature file was altered or made with another key.`,
    );
  }
  const signedAt = new Date(signature.signedAt);
  const now = options.now ?? new Date();
  if (signedAt.getTime() > now.getTime() + skew) {
    throw new BundleError(
      'SIGNATURE_FROM_FUTURE',
      `The signature claims signedAt ${signature.signedAt}, later than now (${now.toISOString()}) plus ${skew} ms of clock skew; a signer's clock is wrong or the date was forged to outlive the key.`,
    );
  }
  if (key.notBefore !== undefined && signedAt < key.notBefore) {
    throw new BundleError(
      'KEY_NOT_YET_VALID',
      `Key ${keyId} is valid from ${key.notBefore.toISOString()}, but the bundle was signed at ${signature.signedAt}.`,
    );
  }
  if (key.notAfter !== undefined && signedAt > key.notAfter) {
    throw new BundleError(
      'KEY_EXPIRED',
      `Key ${keyId} expired at ${key.notAfter.toISOString()}, before the bundle was signed at ${signature.signedAt}.`,
    );
  }
  return { signature, signer: { keyId, publisher: key.publisher }, signedAt };
}
