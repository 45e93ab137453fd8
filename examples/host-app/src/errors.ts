/** Codes of {@link HostAppError}. Codes are API; messages are for people. */
export const HostAppErrorCode = {
  /** The port is taken by another process. */
  PORT_IN_USE: 'PORT_IN_USE',
  /** The server could not listen for another reason (permissions, bad address). */
  LISTEN_FAILED: 'LISTEN_FAILED',
  /** esbuild could not bundle the host page. */
  PAGE_BUILD_FAILED: 'PAGE_BUILD_FAILED',
  /** A tenant id or API key handed to the app is malformed. */
  INVALID_TENANT: 'INVALID_TENANT',
} as const;

/** One of {@link HostAppErrorCode}. */
export type HostAppErrorCode = (typeof HostAppErrorCode)[keyof typeof HostAppErrorCode];

/** The one error class of the example host app. */
export class HostAppError extends Error {
  override readonly name = 'HostAppError';
  readonly code: HostAppErrorCode;

  constructor(code: HostAppErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
