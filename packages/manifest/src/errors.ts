import type { ManifestIssue } from './internal/issues.js';

/**
 * The codes a {@link ManifestError} can carry. Codes are API: match on them, not on messages.
 */
export const ManifestErrorCode = {
  /** The manifest is not valid; `issues` names every problem with its path. */
  INVALID: 'MANIFEST_INVALID',
  /** Text or bytes given to the parser are not JSON (or not UTF-8). */
  NOT_JSON: 'MANIFEST_NOT_JSON',
  /** Text or bytes given to the parser are larger than the limit. */
  TOO_LARGE: 'MANIFEST_TOO_LARGE',
} as const;

/** One of the {@link ManifestErrorCode} values. */
export type ManifestErrorCode = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode];

/** Options of the {@link ManifestError} constructor. */
export interface ManifestErrorOptions {
  /** Every problem found, each with its path. */
  readonly issues?: readonly ManifestIssue[];
  /** The underlying error, such as a `SyntaxError` from `JSON.parse`. */
  readonly cause?: unknown;
}

/**
 * Thrown by `parseManifest` (and returned by `safeParseManifest`). Its message lists every
 * issue on its own line, prefixed by the issue's path.
 *
 * @example
 * ```ts
 * try {
 *   parseManifest(json);
 * } catch (error) {
 *   if (error instanceof ManifestError && error.code === 'MANIFEST_INVALID') {
 *     for (const issue of error.issues) console.error(`${issue.path}: ${issue.message}`);
 *   }
 * }
 * ```
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  /** What kind of failure this is. */
  readonly code: ManifestErrorCode;
  /** Every problem found; empty for `MANIFEST_NOT_JSON` and `MANIFEST_TOO_LARGE`, whose message says it all. */
  readonly issues: readonly ManifestIssue[];

  constructor(code: ManifestErrorCode, summary: string, options: ManifestErrorOptions = {}) {
    const issues = options.issues ?? [];
    const lines = issues.map(
      (issue) => `  ${issue.path === '' ? '(manifest)' : issue.path}: ${issue.message}`,
    );
    super(lines.length === 0 ? summary : `${summary}\n${lines.join('\n')}`, {
      cause: options.cause,
    });
    this.code = code;
    this.issues = issues;
  }
}
