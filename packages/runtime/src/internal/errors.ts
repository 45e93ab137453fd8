/** Stable codes of {@link CapabilityError}: why a `ctx.*` host call failed. Codes are API. */
export const CapabilityErrorCode = {
  /** The manifest does not declare the capability, so the component was built without it. */
  CAPABILITY_NOT_DECLARED: 'CAPABILITY_NOT_DECLARED',
  /** The operator did not grant the capability to this install (the host said `denied`). */
  CAPABILITY_DENIED: 'CAPABILITY_DENIED',
  /** The host rejected the arguments (a bad URL, an over-long key). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The host could not do it right now (an upstream timed out, a store is down). */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A quota or size limit was reached. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** A compare-and-set storage write found another revision than the one expected. */
  CONFLICT: 'CONFLICT',
  /** The thing asked for does not exist where absence cannot be expressed as `undefined`. */
  NOT_FOUND: 'NOT_FOUND',
} as const;

/** One of {@link CapabilityErrorCode}. */
export type CapabilityErrorCode = (typeof CapabilityErrorCode)[keyof typeof CapabilityErrorCode];

/**
 * A `ctx.*` call failed. `capability` names the capability the call needs, `code` says why.
 *
 * @example
 * ```ts
 * try {
 *   await ctx.secrets.get('apiKey');
 * } catch (err) {
 *   if (err instanceof CapabilityError && err.code === 'CAPABILITY_DENIED') return error(403, 'NO_KEY', 'ask an admin');
 *   throw err;
 * }
 * ```
 */
export class CapabilityError extends Error {
  override readonly name = 'CapabilityError';
  /** Why the call failed. */
  readonly code: CapabilityErrorCode;
  /** The capability the call needs, e.g. `cap:secrets.get`. */
  readonly capability: string;

  constructor(
    code: CapabilityErrorCode,
    capability: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.capability = capability;
  }
}

/** Stable codes of {@link HandlerError}: a handler or its request is not what the runtime needs. */
export const HandlerErrorCode = {
  /** `createHandler` was given something other than a function, or the entry exports no handler. */
  INVALID_HANDLER: 'INVALID_HANDLER',
  /** The handler returned something that is not a response. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** The request could not be read as asked (e.g. `req.json()` on a body that is not JSON). */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;

/** One of {@link HandlerErrorCode}. */
export type HandlerErrorCode = (typeof HandlerErrorCode)[keyof typeof HandlerErrorCode];

/** The handler's shape, its answer or its request is wrong; the message says what to change. */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  /** What was wrong. */
  readonly code: HandlerErrorCode;

  constructor(code: HandlerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
