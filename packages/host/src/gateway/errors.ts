/**
 * Stable codes of the errors the gateway, the UI asset server and the runner service answer
 * with. Codes are API (clients branch on them); messages are for people.
 */
export const GatewayErrorCode = {
  /** The request was malformed (bad percent-encoding, bad JSON, bad id). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** No identity could be resolved for the request (missing or unknown credentials). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller is known but not allowed to do this (e.g. not an admin). */
  FORBIDDEN: 'FORBIDDEN',
  /** The guest called a host capability its install was not granted. */
  CAPABILITY_DENIED: 'CAPABILITY_DENIED',
  /** No route, asset or version by that name. */
  NOT_FOUND: 'NOT_FOUND',
  /** The tenant has no install of the extension. */
  NOT_INSTALLED: 'NOT_INSTALLED',
  /** The tenant's install of the extension is disabled. */
  EXTENSION_DISABLED: 'EXTENSION_DISABLED',
  /** The method and path match no endpoint the manifest declares. */
  ENDPOINT_NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  /** The request body is larger than the configured cap. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Too many request headers, or too many header bytes. */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** The handler's response body or headers exceed the configured cap. */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** A per-tenant or per-extension rate limit, or a quota, was reached. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The bundle failed its hash, signature or per-file digest check. */
  INTEGRITY: 'INTEGRITY',
  /** The handler failed (trap, invalid response) or the runner could not be reached. */
  UPSTREAM: 'UPSTREAM',
  /** The change clashes with the current state (already installed, version exists, concurrent edit). */
  CONFLICT: 'CONFLICT',
  /** The handler did not answer within the gateway timeout. */
  TIMEOUT: 'TIMEOUT',
  /** A dependency (registry, store, rate-limit backend) is unavailable right now. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A configuration setting (flag, env var or option) is invalid. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** An unexpected failure on the host side; details are logged, never returned. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of {@link GatewayErrorCode}. */
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

/** The HTTP status each {@link GatewayErrorCode} is answered with (DESIGN.md error mapping). */
export const GATEWAY_ERROR_STATUS: Readonly<Record<GatewayErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CAPABILITY_DENIED: 403,
  NOT_FOUND: 404,
  NOT_INSTALLED: 404,
  EXTENSION_DISABLED: 404,
  ENDPOINT_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 413,
  RESPONSE_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTEGRITY: 502,
  UPSTREAM: 502,
  CONFLICT: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

/** Extra fields of a {@link GatewayError}. */
export interface GatewayErrorOptions {
  /** The error being wrapped. */
  cause?: unknown;
  /** Seconds the client should wait before retrying (sent as `retry-after` with 429). */
  retryAfterSeconds?: number;
  /** Extra JSON fields for the error body (e.g. the declared endpoints in dev mode). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * An error of the gateway, UI asset server, runner service or embedded host. Answered over
 * HTTP as `{error: {code, message, requestId}}` with the status of {@link GATEWAY_ERROR_STATUS};
 * the message must never hold a secret, the stack never leaves the process.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** Stable code; see {@link GatewayErrorCode}. */
  readonly code: GatewayErrorCode;
  /** Seconds to wait before retrying, for {@link GatewayErrorCode.RATE_LIMITED}. */
  readonly retryAfterSeconds: number | undefined;
  /** Extra JSON fields of the error body. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return GATEWAY_ERROR_STATUS[this.code];
  }
}
