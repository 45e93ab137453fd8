import { inspect } from 'node:util';
import { SecretsError, SecretsErrorCode } from './errors.js';

const REDACTED = '[redacted]';

/**
 * One secret value that prints as `[redacted]` in `util.inspect`, `JSON.stringify`, string
 * conversion and template literals. Call {@link Secret.reveal} where the plaintext is needed.
 *
 * @example
 * const token = new Secret(process.env.VAULT_TOKEN ?? '');
 * console.log({ token }); // { token: [redacted] }
 * fetch(url, { headers: { 'x-vault-token': token.reveal() } });
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plaintext. Pass it straight to where it is needed; never log it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`, so `JSON.stringify` never writes the value. */
  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/**
 * Opened secrets: a read-only `name -> plaintext` record (so `map[name]` and `Object.keys(map)`
 * work) that prints as `[redacted]` in `util.inspect`, `JSON.stringify` and string conversion.
 * Look values up with `Object.hasOwn(map, name)` first: the redacting methods live on the
 * prototype, which is why {@link RESERVED_SECRET_NAMES} cannot be secret names.
 */
export type SecretMap = Readonly<Record<string, string>>;

/**
 * Names a secret cannot have, because an own property of that name would shadow the
 * redaction of a {@link SecretMap} (a string-valued `toJSON` makes `JSON.stringify` print the
 * values).
 */
export const RESERVED_SECRET_NAMES: readonly string[] = [
  'toJSON',
  'toString',
  'valueOf',
  'constructor',
  '__proto__',
];

// The prototype of every SecretMap: no Object.prototype (so no inherited names collide with
// secret names), only the methods that redact. Frozen so nothing can undo the redaction.
const secretMapPrototype: object = Object.freeze(
  Object.create(null, {
    toJSON: { value: () => REDACTED },
    toString: { value: () => REDACTED },
    [inspect.custom]: { value: () => REDACTED },
    [Symbol.toPrimitive]: { value: () => REDACTED },
  }),
);

/** Throws `SECRETS_INPUT_INVALID` when a name cannot be a secret name. */
export function assertSecretName(name: string, where: string): void {
  if (name.length === 0 || RESERVED_SECRET_NAMES.includes(name)) {
    throw new SecretsError(
      SecretsErrorCode.INPUT_INVALID,
      `${where}: "${name}" cannot be a secret name (empty or reserved: ${RESERVED_SECRET_NAMES.join(', ')}); rename the setting.`,
    );
  }
}

/**
 * Builds a {@link SecretMap} from plain entries, checking each name.
 *
 * @example
 * const secrets = createSecretMap({ apiKey: 'sk-1' });
 * secrets.apiKey; // 'sk-1'
 * JSON.stringify({ secrets }); // '{"secrets":"[redacted]"}'
 */
export function createSecretMap(entries: Readonly<Record<string, string>>): SecretMap {
  const map: Record<string, string> = Object.create(secretMapPrototype);
  for (const [name, value] of Object.entries(entries)) {
    assertSecretName(name, 'secrets');
    if (typeof value !== 'string') {
      throw new SecretsError(
        SecretsErrorCode.INPUT_INVALID,
        `secrets.${name}: must be a string (got ${typeof value}).`,
      );
    }
    Object.defineProperty(map, name, { value, enumerable: true });
  }
  return Object.freeze(map);
}

/** True when `value` was built by {@link createSecretMap} (or returned by a sealer's `open`). */
export function isSecretMap(value: unknown): value is SecretMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === secretMapPrototype
  );
}
