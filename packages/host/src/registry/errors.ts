/** Every {@link RegistryError} code. Codes are API; messages are for people. */
export const RegistryErrorCode = {
  /** The extension or version does not exist in the registry. */
  NOT_FOUND: 'NOT_FOUND',
  /** The tenant has no install of the extension. */
  NOT_INSTALLED: 'NOT_INSTALLED',
  /** The tenant already has an install of the extension (use upgrade). */
  ALREADY_INSTALLED: 'ALREADY_INSTALLED',
  /** The version exists already with other content. */
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  /** The version is yanked or invalid and cannot be installed. */
  VERSION_UNAVAILABLE: 'VERSION_UNAVAILABLE',
  /** The bundle's signer or manifest publisher is not the extension's publisher. */
  PUBLISHER_MISMATCH: 'PUBLISHER_MISMATCH',
  /** A grant names a capability the catalog does not know. */
  CAPABILITY_UNKNOWN: 'CAPABILITY_UNKNOWN',
  /** A grant names a capability the manifest does not request. */
  GRANT_EXCEEDS_REQUEST: 'GRANT_EXCEEDS_REQUEST',
  /** An egress entry is not covered by the manifest's `http.allow`. */
  EGRESS_EXCEEDS_REQUEST: 'EGRESS_EXCEEDS_REQUEST',
  /** Config or secrets do not match the manifest's `settings`; see `issues`. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** The `authorize` hook refused the actor. */
  FORBIDDEN: 'FORBIDDEN',
  /** Another change to the same install landed first; reload and retry. */
  CONFLICT: 'CONFLICT',
  /** An argument is malformed (an id, a KV key, a cursor, a row). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The stored data could not be read back (a corrupt row, a failed migration). */
  STORE_FAILED: 'STORE_FAILED',
} as const;

/** A {@link RegistryError} code. */
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** One problem found in config or secrets: the field path (`settings.limit`) and why. */
export interface RegistryIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * The one error class of the registry module. Messages name the extension, version, tenant or
 * field, never a config or secret value.
 */
export class RegistryError extends Error {
  /** What went wrong, from {@link RegistryErrorCode}. */
  readonly code: RegistryErrorCode;
  /** For `CONFIG_INVALID`: every field that failed; empty otherwise. */
  readonly issues: readonly RegistryIssue[];

  constructor(
    code: RegistryErrorCode,
    message: string,
    options?: { cause?: unknown; issues?: readonly RegistryIssue[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}
