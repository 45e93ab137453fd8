import { z } from 'zod';
import { SecretsError, SecretsErrorCode } from './errors.js';
import { Secret, type SecretMap } from './redact.js';
import {
  decodePlaintext,
  encodeAad,
  encodePlaintext,
  parseSecretEnvelope,
  type SecretAad,
  type SecretEnvelope,
  type SecretSealer,
  type VaultTransitEnvelope,
} from './sealer.js';

/** Options of {@link VaultTransitSealer}. */
export interface VaultTransitSealerOptions {
  /** Vault (or OpenBao) base URL, e.g. `https://vault.internal:8200`. */
  readonly address: string;
  /** A token allowed to `update` `<mount>/encrypt/<key>` and `<mount>/decrypt/<key>`. */
  readonly token: string | Secret;
  /** The transit key: create it with `derived=true`, since each envelope's AAD is the context. */
  readonly keyName: string;
  /** The transit mount path (default `transit`). */
  readonly mount?: string;
  /** Vault Enterprise / OpenBao namespace, sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** Per-request timeout (default 5000 ms). */
  readonly timeoutMs?: number;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: typeof fetch;
}

const PATH_SEGMENT = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

const encryptResponseSchema = z.object({
  data: z.object({ ciphertext: z.string().regex(/^vault:v\d+:/) }),
});
const decryptResponseSchema = z.object({ data: z.object({ plaintext: z.base64() }) });
const errorResponseSchema = z.object({ errors: z.array(z.string()) });

/**
 * A {@link SecretSealer} that keeps the key in Vault's (or OpenBao's) transit engine: `seal`
 * calls `POST /v1/<mount>/encrypt/<key>` and `open` calls `/decrypt/<key>`, each with the
 * envelope's AAD as the derivation `context`, so an envelope copied to another install does not
 * decrypt. The token prints as `[redacted]`.
 *
 * @example
 * const sealer = new VaultTransitSealer({
 *   address: 'https://vault.internal:8200',
 *   token: process.env.VAULT_TOKEN ?? '',
 *   keyName: 'alga-secrets',
 * });
 */
export class VaultTransitSealer implements SecretSealer {
  readonly #base: URL;
  readonly #token: Secret;
  readonly #keyName: string;
  readonly #mount: string;
  readonly #namespace: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: VaultTransitSealerOptions) {
    let base: URL;
    try {
      base = new URL(options.address);
    } catch (cause) {
      throw new SecretsError(
        SecretsErrorCode.INPUT_INVALID,
        'VaultTransitSealer: address is not a URL; pass e.g. https://vault.internal:8200.',
        { cause },
      );
    }
    const mount = options.mount ?? 'transit';
    if (!PATH_SEGMENT.test(mount) || !PATH_SEGMENT.test(options.keyName)) {
      throw new SecretsError(
        SecretsErrorCode.INPUT_INVALID,
        'VaultTransitSealer: mount and keyName must be path segments of A-Za-z0-9._- .',
      );
    }
    this.#base = base;
    this.#token = typeof options.token === 'string' ? new Secret(options.token) : options.token;
    this.#keyName = options.keyName;
    this.#mount = mount;
    this.#namespace = options.namespace;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** The envelope key id: `<mount>/<key>`. */
  get keyId(): string {
    return `${this.#mount}/${this.#keyName}`;
  }

  async seal(
    plain: Readonly<Record<string, string>>,
    aad: SecretAad,
  ): Promise<VaultTransitEnvelope> {
    const context = Buffer.from(encodeAad(aad)).toString('base64');
    const plaintext = Buffer.from(encodePlaintext(plain)).toString('base64');
    const body = await this.#call('encrypt', { plaintext, context });
    const parsed = encryptResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new SecretsError(
        SecretsErrorCode.BACKEND_UNAVAILABLE,
        `Vault ${this.#path('encrypt')} answered without data.ciphertext; check that it is a transit mount.`,
      );
    }
    return { v: 1, alg: 'vault-transit', kid: this.keyId, ct: parsed.data.data.ciphertext };
  }

  async open(envelope: SecretEnvelope, aad: SecretAad): Promise<SecretMap> {
    const parsed = parseSecretEnvelope(envelope);
    if (parsed.alg !== 'vault-transit') {
      throw new SecretsError(
        SecretsErrorCode.ENVELOPE_INVALID,
        `envelope.alg: "${parsed.alg}" was sealed by another sealer; open it with the sealer for that algorithm.`,
      );
    }
    if (parsed.kid !== this.keyId) {
      throw new SecretsError(
        SecretsErrorCode.KEY_UNKNOWN,
        `envelope.kid: sealed with Vault key "${parsed.kid}" but this sealer uses "${this.keyId}"; configure the sealer for that key.`,
      );
    }
    const context = Buffer.from(encodeAad(aad)).toString('base64');
    const body = await this.#call('decrypt', { ciphertext: parsed.ct, context }, aad);
    const result = decryptResponseSchema.safeParse(body);
    if (!result.success) {
      throw new SecretsError(
        SecretsErrorCode.BACKEND_UNAVAILABLE,
        `Vault ${this.#path('decrypt')} answered without data.plaintext; check that it is a transit mount.`,
      );
    }
    const bytes = new Uint8Array(Buffer.from(result.data.data.plaintext, 'base64'));
    try {
      return decodePlaintext(bytes);
    } finally {
      bytes.fill(0);
    }
  }

  #path(op: 'encrypt' | 'decrypt'): string {
    return `/v1/${this.#mount}/${op}/${this.#keyName}`;
  }

  async #call(
    op: 'encrypt' | 'decrypt',
    payload: Record<string, string>,
    aad?: SecretAad,
  ): Promise<unknown> {
    const path = this.#path(op);
    const url = new URL(
      path.slice(1),
      this.#base.href.endsWith('/') ? this.#base : `${this.#base.href}/`,
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-vault-token': this.#token.reveal(),
    };
    if (this.#namespace !== undefined) headers['x-vault-namespace'] = this.#namespace;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new SecretsError(
        SecretsErrorCode.BACKEND_UNAVAILABLE,
        `Vault ${path} at ${this.#base.origin} could not be reached (${cause instanceof Error ? cause.name : 'error'}); check the address and that Vault is unsealed.`,
        { cause },
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok) return body;
    // Vault's error strings describe the failure (never the plaintext, which we never send back).
    const errors = errorResponseSchema.safeParse(body);
    const detail = errors.success
      ? errors.data.errors.join('; ').slice(0, 300)
      : `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403) {
      throw new SecretsError(
        SecretsErrorCode.BACKEND_DENIED,
        `Vault ${path} refused the token (${response.status}: ${detail}); grant it update on ${path}.`,
      );
    }
    if (op === 'decrypt' && response.status === 400 && aad !== undefined) {
      throw new SecretsError(
        SecretsErrorCode.OPEN_FAILED,
        `The envelope does not open for tenant ${aad.tenantId}, install ${aad.installId}, version ${aad.version} (Vault: ${detail}): it was sealed for another install or version, or was altered.`,
      );
    }
    throw new SecretsError(
      SecretsErrorCode.BACKEND_UNAVAILABLE,
      `Vault ${path} failed (${response.status}: ${detail}).`,
    );
  }
}
