import { BundleError, type BundleErrorCode } from '../bundle/errors';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import { RegistryError, type RegistryErrorCode } from '../registry/errors';

const REGISTRY: Readonly<Record<RegistryErrorCode, GatewayErrorCode>> = {
  NOT_FOUND: GatewayErrorCode.NOT_FOUND,
  NOT_INSTALLED: GatewayErrorCode.NOT_INSTALLED,
  ALREADY_INSTALLED: GatewayErrorCode.CONFLICT,
  VERSION_CONFLICT: GatewayErrorCode.CONFLICT,
  VERSION_UNAVAILABLE: GatewayErrorCode.CONFLICT,
  PUBLISHER_MISMATCH: GatewayErrorCode.FORBIDDEN,
  CAPABILITY_UNKNOWN: GatewayErrorCode.BAD_REQUEST,
  GRANT_EXCEEDS_REQUEST: GatewayErrorCode.BAD_REQUEST,
  EGRESS_EXCEEDS_REQUEST: GatewayErrorCode.BAD_REQUEST,
  CONFIG_INVALID: GatewayErrorCode.BAD_REQUEST,
  FORBIDDEN: GatewayErrorCode.FORBIDDEN,
  CONFLICT: GatewayErrorCode.CONFLICT,
  INVALID_ARGUMENT: GatewayErrorCode.BAD_REQUEST,
  STORE_FAILED: GatewayErrorCode.UNAVAILABLE,
};

/**
 * Publishing refusals: a bundle or signature the caller sent is at fault (400), its signer is
 * not trusted (403), or it is over a size limit (413). Only host-side trouble is 5xx.
 */
const BUNDLE: Readonly<Record<BundleErrorCode, GatewayErrorCode>> = {
  UNSAFE_PATH: GatewayErrorCode.BAD_REQUEST,
  LINK_NOT_ALLOWED: GatewayErrorCode.BAD_REQUEST,
  SPECIAL_FILE: GatewayErrorCode.BAD_REQUEST,
  DUPLICATE_PATH: GatewayErrorCode.BAD_REQUEST,
  TOO_LARGE: GatewayErrorCode.PAYLOAD_TOO_LARGE,
  TOO_MANY_FILES: GatewayErrorCode.PAYLOAD_TOO_LARGE,
  DECOMPRESSION_BOMB: GatewayErrorCode.PAYLOAD_TOO_LARGE,
  MALFORMED: GatewayErrorCode.BAD_REQUEST,
  UNSUPPORTED_FORMAT: GatewayErrorCode.BAD_REQUEST,
  MANIFEST_INVALID: GatewayErrorCode.BAD_REQUEST,
  COMPONENT_MISSING: GatewayErrorCode.BAD_REQUEST,
  ASSET_MISSING: GatewayErrorCode.BAD_REQUEST,
  HASH_MISMATCH: GatewayErrorCode.BAD_REQUEST,
  INVALID_CONTENT_HASH: GatewayErrorCode.BAD_REQUEST,
  SIGNATURE_MALFORMED: GatewayErrorCode.BAD_REQUEST,
  SIGNATURE_INVALID: GatewayErrorCode.BAD_REQUEST,
  SIGNATURE_FROM_FUTURE: GatewayErrorCode.BAD_REQUEST,
  UNTRUSTED_SIGNER: GatewayErrorCode.FORBIDDEN,
  KEY_REVOKED: GatewayErrorCode.FORBIDDEN,
  KEY_EXPIRED: GatewayErrorCode.FORBIDDEN,
  KEY_NOT_YET_VALID: GatewayErrorCode.FORBIDDEN,
  KEY_INVALID: GatewayErrorCode.BAD_REQUEST,
  TRUST_INVALID: GatewayErrorCode.INTERNAL,
  IO: GatewayErrorCode.UNAVAILABLE,
  INVALID_OPTION: GatewayErrorCode.INTERNAL,
  STORE_UNAVAILABLE: GatewayErrorCode.UNAVAILABLE,
};

/**
 * A registry or bundle error as the admin API answers it: the HTTP-level code, with the
 * module's own code as `reason` (and `issues` when there are some) so clients can branch on
 * it. Registry and bundle messages name fields and ids, never values, so they pass as they are.
 */
export function adminError(error: unknown): unknown {
  if (error instanceof RegistryError) {
    return new GatewayError(REGISTRY[error.code], error.message, {
      cause: error,
      details: {
        reason: error.code,
        ...(error.issues.length > 0 ? { issues: error.issues } : {}),
      },
    });
  }
  if (error instanceof BundleError) {
    return new GatewayError(BUNDLE[error.code], error.message, {
      cause: error,
      details: {
        reason: error.code,
        ...(error.issues.length > 0 ? { issues: error.issues } : {}),
      },
    });
  }
  return error;
}
