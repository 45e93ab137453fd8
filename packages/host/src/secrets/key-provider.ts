import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SecretsError, SecretsErrorCode } from './errors.js';

/**
 * Where {@link AesGcmSealer} gets its AES-256 keys. New envelopes are sealed with the current
 * key; an envelope names its key id, so older keys keep opening old envelopes after rotation.
 */
export interface KeyProvider {
  /** The key id new envelopes are sealed with. */
  readonly currentKeyId: string;
  /** Every key id this provider can open, current first. */
  readonly keyIds: readonly string[];
  /** The AES-GCM key for `kid`, or undefined when this provider does not hold it. */
  key(kid: string): Promise<CryptoKey | undefined>;
}

/** One raw key for {@link KeyProvider.fromKeys}. */
export interface RawKey {
  /** Key id written into envelopes: 1-64 of `A-Za-z0-9._-`. */
  readonly kid: string;
  /** 32 random bytes. */
  readonly key: Uint8Array;
}

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The key id of a key given without one: a fingerprint that reveals nothing about the key. */
function fingerprint(key: Uint8Array): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

function fromKeys(keys: readonly RawKey[], source = 'keys'): KeyProvider {
  if (keys.length === 0) {
    throw new SecretsError(
      SecretsErrorCode.KEY_INVALID,
      `${source}: no key given; provide at least one 32-byte key.`,
    );
  }
  const raw = new Map<string, Uint8Array<ArrayBuffer>>();
  keys.forEach(({ kid, key }, index) => {
    if (!KID_PATTERN.test(kid)) {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `${source}[${index}]: key id must be 1-64 of A-Za-z0-9._- .`,
      );
    }
    if (key.byteLength !== 32) {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `${source}[${index}] (${kid}): key must be 32 bytes, got ${key.byteLength}; generate one with \`openssl rand -base64 32\`.`,
      );
    }
    if (raw.has(kid)) {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `${source}[${index}]: key id "${kid}" appears twice; give each key its own id.`,
      );
    }
    raw.set(kid, new Uint8Array(key));
  });
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyIds = [...raw.keys()];
  return {
    currentKeyId: keyIds[0]!,
    keyIds,
    key(kid) {
      const bytes = raw.get(kid);
      if (bytes === undefined) return Promise.resolve(undefined);
      let key = imported.get(kid);
      if (key === undefined) {
        key = globalThis.crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, [
          'encrypt',
          'decrypt',
        ]);
        imported.set(kid, key);
      }
      return key;
    },
  };
}

/** Parses `kid:base64,kid2:base64` (or newline-separated, or one bare base64 key). */
function parseKeyList(text: string, source: string): RawKey[] {
  const entries = text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0 && !entry.startsWith('#'));
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const kid = colon === -1 ? undefined : entry.slice(0, colon).trim();
    const encoded = colon === -1 ? entry : entry.slice(colon + 1).trim();
    if (!BASE64_PATTERN.test(encoded)) {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `${source}[${index}]: key is not base64; write \`<kid>:<base64 of 32 bytes>\`.`,
      );
    }
    const key = new Uint8Array(Buffer.from(encoded, 'base64')); // accepts base64url too
    return { kid: kid ?? fingerprint(key), key };
  });
}

/**
 * Key provider factories.
 *
 * @example
 * // ALGA_SECRETS_KEY="2025-06:<base64 32 bytes>,2024-01:<base64 32 bytes>"
 * const sealer = new AesGcmSealer(KeyProvider.fromEnv('ALGA_SECRETS_KEY'));
 */
export const KeyProvider = {
  /**
   * Keys from an environment variable: `kid:base64key` entries separated by commas or new
   * lines, the first being current (prepend the new key to rotate). A single bare base64 key
   * gets a fingerprint as its id.
   */
  fromEnv(
    name = 'ALGA_SECRETS_KEY',
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): KeyProvider {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `Environment variable ${name} is not set; set it to a base64 32-byte key (\`openssl rand -base64 32\`).`,
      );
    }
    return fromKeys(parseKeyList(value, name), name);
  },

  /** Keys from a file, in the same format as {@link KeyProvider.fromEnv} (`#` starts a comment line). */
  async fromFile(path: string): Promise<KeyProvider> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new SecretsError(
        SecretsErrorCode.KEY_INVALID,
        `Key file ${path} cannot be read; check the path and its permissions.`,
        { cause },
      );
    }
    return fromKeys(parseKeyList(text, path), path);
  },

  /** Keys given in code, current first. */
  fromKeys(keys: readonly RawKey[]): KeyProvider {
    return fromKeys(keys);
  },
};
