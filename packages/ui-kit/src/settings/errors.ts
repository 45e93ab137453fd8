import type { SettingsIssue } from './types';

/** Every code a {@link SettingsError} can carry. Codes are API; messages are not. */
export const SettingsErrorCode = {
  /** The server refused the values; `issues` names each field. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The tenant has no install of the extension (404). */
  NOT_FOUND: 'NOT_FOUND',
  /** The caller may not read or change these settings (401/403). */
  FORBIDDEN: 'FORBIDDEN',
  /** Someone else changed the settings first (409); reload and retry. */
  CONFLICT: 'CONFLICT',
  /** Any other non-2xx answer; `status` holds it. */
  HTTP_ERROR: 'HTTP_ERROR',
  /** The request did not reach the server or timed out. */
  NETWORK_ERROR: 'NETWORK_ERROR',
  /** The server answered 2xx with a body that is not a settings view. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
} as const;

/** A {@link SettingsError} code. */
export type SettingsErrorCode = (typeof SettingsErrorCode)[keyof typeof SettingsErrorCode];

/** The one error class of `@alga/ui-kit`: failures of the settings API client. */
export class SettingsError extends Error {
  /** What went wrong. */
  readonly code: SettingsErrorCode;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** For `VALIDATION_FAILED`: each field and why. */
  readonly issues: readonly SettingsIssue[];

  /** Creates an error with a code from {@link SettingsErrorCode}. */
  constructor(
    code: SettingsErrorCode,
    message: string,
    options: { status?: number; issues?: readonly SettingsIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SettingsError';
    this.code = code;
    this.status = options.status;
    this.issues = options.issues ?? [];
  }
}
