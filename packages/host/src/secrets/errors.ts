/** Every {@link SecretsError} code. Codes are API; messages are for people. */
export const SecretsErrorCode = {
  /** A key source (env var, key file, key list) is missing or malformed. */
  KEY_INVALID: 'SECRETS_KEY_INVALID',
  /** The envelope names a key id the key provider does not hold. */
  KEY_UNKNOWN: 'SECRETS_KEY_UNKNOWN',
  /** The envelope is not a well-formed sealed-secrets envelope. */
  ENVELOPE_INVALID: 'SECRETS_ENVELOPE_INVALID',
  /** Decryption failed: wrong key, tampered ciphertext, or an envelope bound to other AAD. */
  OPEN_FAILED: 'SECRETS_OPEN_FAILED',
  /** The plaintext map or the AAD given to `seal`/`open` is malformed. */
  INPUT_INVALID: 'SECRETS_INPUT_INVALID',
  /** The secrets backend (Vault transit) refused the token or the key. */
  BACKEND_DENIED: 'SECRETS_BACKEND_DENIED',
  /** The secrets backend could not be reached or answered something unexpected. */
  BACKEND_UNAVAILABLE: 'SECRETS_BACKEND_UNAVAILABLE',
} as const;

/** A {@link SecretsError} code. */
export type SecretsErrorCode = (typeof SecretsErrorCode)[keyof typeof SecretsErrorCode];

/**
 * The one error class of the secrets module. Its message never contains a secret value, a
 * key or a token: only names (env var, file path, key id, field name) and what to do.
 */
export class SecretsError extends Error {
  /** What went wrong, from {@link SecretsErrorCode}. */
  readonly code: SecretsErrorCode;

  constructor(code: SecretsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsError';
    this.code = code;
  }
}
