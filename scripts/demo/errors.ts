/** Codes of {@link DemoError}. */
export const DemoErrorCode = {
  /** A flag or environment variable is malformed. */
  USAGE: 'USAGE',
  /** A step of the demo failed; the message names the step and what to do. */
  STEP_FAILED: 'STEP_FAILED',
  /** `--check` found an answer that was not what the printed command promises. */
  CHECK_FAILED: 'CHECK_FAILED',
} as const;

/** One of {@link DemoErrorCode}. */
export type DemoErrorCode = (typeof DemoErrorCode)[keyof typeof DemoErrorCode];

/** The one error class of the demo script. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
  readonly code: DemoErrorCode;

  constructor(code: DemoErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
