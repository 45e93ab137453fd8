/** Stable codes of {@link TestingError}. */
export const TestingErrorCode = {
  /** The component file could not be read or is not a component. */
  LOAD_FAILED: 'LOAD_FAILED',
  /** The component trapped (an unreachable, an out-of-bounds access, a thrown import). */
  GUEST_TRAPPED: 'GUEST_TRAPPED',
  /** The invocation ran longer than `timeoutMs`. */
  TIMEOUT: 'TIMEOUT',
  /** An option passed to the harness is malformed. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** `close()` was called before the invocation finished. */
  CLOSED: 'CLOSED',
} as const;

/** One of {@link TestingErrorCode}. */
export type TestingErrorCode = (typeof TestingErrorCode)[keyof typeof TestingErrorCode];

/** The testing harness could not run a component as asked. */
export class TestingError extends Error {
  override readonly name = 'TestingError';
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** The `types.error` variant of the WIT contract, as a provider answers `err(e)`. */
export type HostErrorTag =
  | 'denied'
  | 'not-found'
  | 'invalid'
  | 'unavailable'
  | 'limit'
  | 'conflict';

/** A provider's refusal, delivered to the guest as `err({ tag, val })`. */
export class HostCallError extends Error {
  override readonly name = 'HostCallError';
  readonly tag: HostErrorTag;

  constructor(tag: HostErrorTag, message: string) {
    super(message);
    this.tag = tag;
  }
}
