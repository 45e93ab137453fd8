/**
 * Every code a {@link BridgeError} can carry. Codes are API (a change is breaking);
 * messages are for people and may change in any release.
 */
export const BridgeErrorCode = {
  /** A call got no answer within its timeout. */
  TIMEOUT: 'TIMEOUT',
  /** The other side went away (iframe reloaded or navigated, host destroyed) while a call was in flight. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The iframe's `src` is not served from the origin the host was told to expect. */
  ORIGIN_MISMATCH: 'ORIGIN_MISMATCH',
  /** The other side exposes no method of that name. */
  METHOD_NOT_FOUND: 'METHOD_NOT_FOUND',
  /** No handshake within the timeout, a protocol version the other side does not speak, or not inside an iframe. */
  HANDSHAKE_FAILED: 'HANDSHAKE_FAILED',
  /** The remote method threw; `message` is what it threw. */
  REMOTE_ERROR: 'REMOTE_ERROR',
  /** The connection was destroyed locally; it cannot be used again. */
  DESTROYED: 'DESTROYED',
  /** An argument, option or message failed validation (bad route, bad theme token, bad size, ...). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The sandbox requested would let the iframe escape it (`allow-same-origin` with a same-origin `src`). */
  UNSAFE_SANDBOX: 'UNSAFE_SANDBOX',
  /** The host's `/api/ext-proxy/...` request failed; `status` holds the HTTP status when there was one. */
  PROXY_ERROR: 'PROXY_ERROR',
  /** The host has no session provider, or it failed or returned an expired token. */
  SESSION_UNAVAILABLE: 'SESSION_UNAVAILABLE',
} as const;

/** A {@link BridgeError} code: one of the values of {@link BridgeErrorCode}. */
export type BridgeErrorCode = (typeof BridgeErrorCode)[keyof typeof BridgeErrorCode];

/** The plain `{code, message}` shape a {@link BridgeError} takes when it crosses postMessage. */
export interface SerializedBridgeError {
  /** One of {@link BridgeErrorCode}. */
  code: BridgeErrorCode;
  /** Human-readable explanation; not API. */
  message: string;
  /** HTTP status, set for {@link BridgeErrorCode.PROXY_ERROR} when the host got a response. */
  status?: number;
}

/** Options for {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The error this one wraps. Never sent across the bridge. */
  cause?: unknown;
  /** HTTP status for {@link BridgeErrorCode.PROXY_ERROR}. */
  status?: number;
}

/**
 * The one error class of `@alga/iframe-sdk`. Branch on `code`, never on `message`.
 *
 * @example
 * ```ts
 * try {
 *   await bridge.callProxy('items', { id: 1 });
 * } catch (error) {
 *   if (error instanceof BridgeError && error.code === BridgeErrorCode.TIMEOUT) retry();
 * }
 * ```
 */
export class BridgeError extends Error {
  /** What went wrong, as a stable code. */
  readonly code: BridgeErrorCode;
  /** HTTP status for {@link BridgeErrorCode.PROXY_ERROR}. */
  readonly status: number | undefined;

  /** Creates an error with a code from {@link BridgeErrorCode}. */
  constructor(code: BridgeErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.status = options.status;
  }

  /** The `{code, message}` form sent across postMessage (no stack, no cause). */
  toJSON(): SerializedBridgeError {
    return this.status === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, status: this.status };
  }
}

/** True when `value` is a {@link BridgeError} (also across bundle copies of this package). */
export function isBridgeError(value: unknown): value is BridgeError {
  return (
    value instanceof BridgeError ||
    (value instanceof Error &&
      value.name === 'BridgeError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}
