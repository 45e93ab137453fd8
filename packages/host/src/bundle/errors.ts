/**
 * Every {@link BundleError} code. Codes are API (changing one is a breaking change);
 * messages are for people and may change.
 */
export const BundleErrorCode = {
  /** An entry path is absolute, climbs with `..`, holds a backslash, colon or control character, is too long, or uses the reserved `.alga/` folder. */
  UNSAFE_PATH: 'UNSAFE_PATH',
  /** An entry is a hard or symbolic link (in an archive, or in a project being packed). */
  LINK_NOT_ALLOWED: 'LINK_NOT_ALLOWED',
  /** An entry is a device file, FIFO or another non-regular file type. */
  SPECIAL_FILE: 'SPECIAL_FILE',
  /** Two entries have the same path (compared case-insensitively), or a file is also used as a folder. */
  DUPLICATE_PATH: 'DUPLICATE_PATH',
  /** A file, the sum of the files, or the archive is over its byte limit. */
  TOO_LARGE: 'TOO_LARGE',
  /** The archive holds more entries than the file-count limit. */
  TOO_MANY_FILES: 'TOO_MANY_FILES',
  /** The compressed archive inflates far beyond its own size or beyond what the limits allow. */
  DECOMPRESSION_BOMB: 'DECOMPRESSION_BOMB',
  /** The bytes are not a well-formed bundle (bad gzip, bad tar header, bad or missing index). */
  MALFORMED: 'MALFORMED',
  /** The bundle index names a format version this library does not read. */
  UNSUPPORTED_FORMAT: 'UNSUPPORTED_FORMAT',
  /** `manifest.json` is missing or does not parse; `issues` lists what is wrong. */
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  /** The component the manifest names as `entry` is not in the bundle or project. */
  COMPONENT_MISSING: 'COMPONENT_MISSING',
  /** A file the manifest names (the iframe entry, the icon) is not in the bundle or project. */
  ASSET_MISSING: 'ASSET_MISSING',
  /** Content does not match a digest: a file against the index, the bundle against its signature or store key. */
  HASH_MISMATCH: 'HASH_MISMATCH',
  /** A content hash is not of the form `sha256:<64 lower-case hex>`. */
  INVALID_CONTENT_HASH: 'INVALID_CONTENT_HASH',
  /** The detached signature is not a well-formed signature document. */
  SIGNATURE_MALFORMED: 'SIGNATURE_MALFORMED',
  /** The ed25519 signature does not verify against the signer's public key. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /** The signature's `signedAt` lies further in the future than the allowed clock skew. */
  SIGNATURE_FROM_FUTURE: 'SIGNATURE_FROM_FUTURE',
  /** The signing key is not in the trust bundle. */
  UNTRUSTED_SIGNER: 'UNTRUSTED_SIGNER',
  /** The signing key is on the trust bundle's revocation list. */
  KEY_REVOKED: 'KEY_REVOKED',
  /** The signature was made after the key's `notAfter`. */
  KEY_EXPIRED: 'KEY_EXPIRED',
  /** The signature was made before the key's `notBefore`. */
  KEY_NOT_YET_VALID: 'KEY_NOT_YET_VALID',
  /** A signing or public key is not an ed25519 key in a supported encoding. */
  KEY_INVALID: 'KEY_INVALID',
  /** A trust bundle (PEM or JSON) is malformed; the message names the field. */
  TRUST_INVALID: 'TRUST_INVALID',
  /** Reading or writing the filesystem failed (a project folder, a store root). */
  IO: 'IO',
  /** An option given to a bundle function or store is out of range (a limit, a clock skew). */
  INVALID_OPTION: 'INVALID_OPTION',
  /** A remote bundle store (S3) failed or could not be reached. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
} as const;

/** One of {@link BundleErrorCode}. */
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/** One problem found in a manifest, as reported by `@alga/manifest`. */
export interface BundleManifestIssue {
  /** Dotted path of the offending field (`api.endpoints.0.path`), empty for the whole document. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** Extra facts an error carries besides its message. */
export interface BundleErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** The bundle path (or store key) the error is about. */
  readonly path?: string;
  /** The manifest issues, for `MANIFEST_INVALID`. */
  readonly issues?: readonly BundleManifestIssue[];
}

/**
 * The one error class of the bundle, trust and store modules. It never carries key
 * material: only paths, key ids, limits and what to do.
 *
 * @example
 * ```ts
 * try {
 *   await verifyBundle(bytes, signature, trust);
 * } catch (error) {
 *   if (error instanceof BundleError && error.code === BundleErrorCode.KEY_REVOKED) {
 *     // refuse the install and tell the operator
 *   }
 * }
 * ```
 */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  /** What went wrong, from {@link BundleErrorCode}. */
  readonly code: BundleErrorCode;
  /** The bundle path the error is about, when there is one. */
  readonly path: string | undefined;
  /** The manifest issues, for `MANIFEST_INVALID`; empty otherwise. */
  readonly issues: readonly BundleManifestIssue[];

  constructor(code: BundleErrorCode, message: string, options: BundleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.issues = options.issues ?? [];
  }
}
