import { z } from 'zod';
import { SecretsError, SecretsErrorCode } from './errors.js';
import { assertSecretName, createSecretMap, type SecretMap } from './redact.js';

/**
 * What an envelope is bound to. Opening with any other value fails, so an envelope copied to
 * another tenant, install or secrets version does not open.
 */
export interface SecretAad {
  readonly tenantId: string;
  readonly installId: string;
  /** The install's secrets version the envelope was sealed for. */
  readonly version: number;
}

const aesGcmEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  alg: z.literal('A256GCM'),
  kid: z.string().min(1).max(200),
  iv: z.base64url().length(16),
  ct: z.base64url().min(22),
});

const vaultTransitEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  alg: z.literal('vault-transit'),
  kid: z.string().min(1).max(400),
  ct: z
    .string()
    .regex(/^vault:v\d+:[A-Za-z0-9+/=]+$/, 'must be a Vault transit ciphertext (vault:v<n>:...)'),
});

/** Zod schema of a {@link SecretEnvelope}, for checking envelopes read from storage or the wire. */
export const secretEnvelopeSchema = z.discriminatedUnion('alg', [
  aesGcmEnvelopeSchema,
  vaultTransitEnvelopeSchema,
]);

/**
 * A sealed secrets map: plain JSON, safe to store and to send to a runner. `kid` names the key
 * that sealed it, so keys can rotate while old envelopes still open.
 */
export type SecretEnvelope = z.infer<typeof secretEnvelopeSchema>;

/** The envelope of {@link AesGcmSealer}: AES-256-GCM, 96-bit IV, all fields base64url. */
export type AesGcmEnvelope = z.infer<typeof aesGcmEnvelopeSchema>;

/** The envelope of {@link VaultTransitSealer}: `kid` is `<mount>/<key>`, `ct` Vault's ciphertext. */
export type VaultTransitEnvelope = z.infer<typeof vaultTransitEnvelopeSchema>;

/**
 * Seals and opens install secrets. Implementations: {@link AesGcmSealer} (default, WebCrypto
 * with a {@link KeyProvider}) and {@link VaultTransitSealer}.
 */
export interface SecretSealer {
  /** Encrypts `plain` bound to `aad`. */
  seal(plain: Readonly<Record<string, string>>, aad: SecretAad): Promise<SecretEnvelope>;
  /** Decrypts an envelope sealed for exactly `aad`; the result redacts itself when printed. */
  open(envelope: SecretEnvelope, aad: SecretAad): Promise<SecretMap>;
}

/** Parses an envelope from untrusted JSON, throwing `SECRETS_ENVELOPE_INVALID` naming the field. */
export function parseSecretEnvelope(input: unknown): SecretEnvelope {
  const result = secretEnvelopeSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? `envelope.${issue.path.join('.')}` : 'envelope';
    throw new SecretsError(
      SecretsErrorCode.ENVELOPE_INVALID,
      `${path}: ${issue?.message ?? 'is not a sealed-secrets envelope'}; re-save the secrets to seal a fresh envelope.`,
    );
  }
  return result.data;
}

const aadSchema = z.strictObject({
  tenantId: z.string().min(1),
  installId: z.string().min(1),
  version: z.number().int().nonnegative(),
});

/**
 * The canonical bytes of an AAD: a JSON array with a domain tag, so that no two different
 * (tenant, install, version) triples encode alike.
 */
export function encodeAad(aad: SecretAad): Uint8Array<ArrayBuffer> {
  const result = aadSchema.safeParse(aad);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SecretsError(
      SecretsErrorCode.INPUT_INVALID,
      `aad.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}; pass {tenantId, installId, version}.`,
    );
  }
  const { tenantId, installId, version } = result.data;
  return new TextEncoder().encode(
    JSON.stringify(['alga-secrets/v1', tenantId, installId, version]),
  );
}

/** Checks a plaintext map before sealing (string values, usable names) and encodes it. */
export function encodePlaintext(plain: Readonly<Record<string, string>>): Uint8Array<ArrayBuffer> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new SecretsError(
      SecretsErrorCode.INPUT_INVALID,
      'secrets: must be an object of name -> string.',
    );
  }
  const entries: Record<string, string> = {};
  for (const [name, value] of Object.entries(plain)) {
    assertSecretName(name, 'secrets');
    if (typeof value !== 'string') {
      throw new SecretsError(
        SecretsErrorCode.INPUT_INVALID,
        `secrets.${name}: must be a string (got ${typeof value}).`,
      );
    }
    entries[name] = value;
  }
  return new TextEncoder().encode(JSON.stringify(entries));
}

/**
 * Parses opened plaintext bytes into a redacting map. The parse error is not kept as `cause`
 * because V8's JSON messages quote the input, which is plaintext.
 */
export function decodePlaintext(bytes: Uint8Array): SecretMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new SecretsError(
      SecretsErrorCode.OPEN_FAILED,
      'The opened envelope is not a secrets map; re-save the secrets.',
    );
  }
  const result = z.record(z.string(), z.string()).safeParse(parsed);
  if (!result.success) {
    throw new SecretsError(
      SecretsErrorCode.OPEN_FAILED,
      'The opened envelope is not a name -> string map; re-save the secrets.',
    );
  }
  return createSecretMap(result.data);
}
