import { SecretsError, SecretsErrorCode } from './errors.js';
import type { KeyProvider } from './key-provider.js';
import type { SecretMap } from './redact.js';
import {
  type AesGcmEnvelope,
  decodePlaintext,
  encodeAad,
  encodePlaintext,
  parseSecretEnvelope,
  type SecretAad,
  type SecretEnvelope,
  type SecretSealer,
} from './sealer.js';

const IV_BYTES = 12;

function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/**
 * The default {@link SecretSealer}: AES-256-GCM through WebCrypto, a fresh 96-bit random IV per
 * envelope, the canonical (tenant, install, version) as additional authenticated data, and
 * the key id in the envelope so keys rotate without re-sealing.
 *
 * @example
 * const sealer = new AesGcmSealer(KeyProvider.fromEnv('ALGA_SECRETS_KEY'));
 * const aad = { tenantId: 't1', installId: 'i1', version: 1 };
 * const envelope = await sealer.seal({ apiKey: 'sk-1' }, aad);
 * (await sealer.open(envelope, aad)).apiKey; // 'sk-1'
 */
export class AesGcmSealer implements SecretSealer {
  readonly #keys: KeyProvider;

  constructor(keys: KeyProvider) {
    this.#keys = keys;
  }

  async seal(plain: Readonly<Record<string, string>>, aad: SecretAad): Promise<AesGcmEnvelope> {
    const additionalData = encodeAad(aad);
    const data = encodePlaintext(plain);
    const kid = this.#keys.currentKeyId;
    const key = await this.#keys.key(kid);
    if (key === undefined) {
      throw new SecretsError(
        SecretsErrorCode.KEY_UNKNOWN,
        `The key provider names "${kid}" as current but does not hold it; check the key source.`,
      );
    }
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData },
      key,
      data,
    );
    data.fill(0);
    return { v: 1, alg: 'A256GCM', kid, iv: toBase64url(iv), ct: toBase64url(new Uint8Array(ct)) };
  }

  async open(envelope: SecretEnvelope, aad: SecretAad): Promise<SecretMap> {
    const parsed = parseSecretEnvelope(envelope);
    if (parsed.alg !== 'A256GCM') {
      throw new SecretsError(
        SecretsErrorCode.ENVELOPE_INVALID,
        `envelope.alg: "${parsed.alg}" was sealed by another sealer; open it with the sealer for that algorithm.`,
      );
    }
    const additionalData = encodeAad(aad);
    const key = await this.#keys.key(parsed.kid);
    if (key === undefined) {
      throw new SecretsError(
        SecretsErrorCode.KEY_UNKNOWN,
        `envelope.kid: key "${parsed.kid}" is not held by the key provider (holds ${this.#keys.keyIds.join(', ')}); keep retired keys in the key list until every envelope is re-sealed.`,
      );
    }
    let plain: ArrayBuffer;
    try {
      plain = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64url(parsed.iv), additionalData },
        key,
        fromBase64url(parsed.ct),
      );
    } catch (cause) {
      throw new SecretsError(
        SecretsErrorCode.OPEN_FAILED,
        `The envelope does not open for tenant ${aad.tenantId}, install ${aad.installId}, version ${aad.version}: it was sealed for another install or version, or was altered.`,
        { cause },
      );
    }
    const bytes = new Uint8Array(plain);
    try {
      return decodePlaintext(bytes);
    } finally {
      bytes.fill(0);
    }
  }
}
