/** Stable codes of the errors the `alga` command reports. */
export const CliErrorCode = {
  USAGE: 'USAGE',
  IO: 'IO',
  BUILD_FAILED: 'BUILD_FAILED',
  TOOLCHAIN_UNSUPPORTED: 'TOOLCHAIN_UNSUPPORTED',
  UNDECLARED_CAPABILITY: 'UNDECLARED_CAPABILITY',
  NO_HANDLER_EXPORT: 'NO_HANDLER_EXPORT',
  VERIFY_FAILED: 'VERIFY_FAILED',
  REMOTE: 'REMOTE',
} as const;

/** One of {@link CliErrorCode}. */
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** An error the CLI reports as one line with its code and exits non-zero. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: number;
  /** For a `REMOTE` refusal, the HTTP status the host answered with. */
  readonly status: number | undefined;

  constructor(
    code: CliErrorCode,
    message: string,
    options: { cause?: unknown; exitCode?: number; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.status = options.status;
  }
}
