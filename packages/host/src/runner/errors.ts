/** Stable codes of the errors the runner reports; codes are API, messages are not. */
export const RunnerErrorCode = {
  /** The execute request was malformed. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The handler ran past its wall-clock deadline; its worker was terminated. */
  TIMEOUT: 'TIMEOUT',
  /** The guest's linear memory reached its cap and the instance trapped. */
  MEMORY_LIMIT: 'MEMORY_LIMIT',
  /** The guest trapped (an uncaught error, `unreachable`, a failed host call it did not catch). */
  TRAP: 'TRAP',
  /** The request body is larger than the install's request cap. */
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  /** The handler's response is larger than the install's response cap. */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** The tenant or the extension already has as many invocations queued as allowed. */
  CONCURRENCY_LIMIT: 'CONCURRENCY_LIMIT',
  /** The runner's queue of waiting invocations is full. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** The invocation waited in the queue longer than allowed. */
  QUEUE_TIMEOUT: 'QUEUE_TIMEOUT',
  /** A host call needed a capability the install was not granted, and the guest did not handle it. */
  CAPABILITY_DENIED: 'CAPABILITY_DENIED',
  /** The bundle failed verification on load (hash, signature, trust). */
  INTEGRITY: 'INTEGRITY',
  /** The bundle or its component is not in the store. */
  NOT_FOUND: 'NOT_FOUND',
  /** The component could not be transpiled, compiled or instantiated. */
  LOAD_FAILED: 'LOAD_FAILED',
  /** The isolate (worker or child process) died unexpectedly. */
  WORKER_CRASHED: 'WORKER_CRASHED',
  /** The runner is closed. */
  CLOSED: 'CLOSED',
  /** The runner was configured wrongly (an option out of range, a missing provider). */
  CONFIG: 'CONFIG',
} as const;

/** One of {@link RunnerErrorCode}. */
export type RunnerErrorCode = (typeof RunnerErrorCode)[keyof typeof RunnerErrorCode];

/** The HTTP status each runner error maps to in an {@link ExecuteResponse}. */
export const RUNNER_ERROR_STATUS: Readonly<Record<RunnerErrorCode, number>> = {
  INVALID_REQUEST: 400,
  TIMEOUT: 504,
  MEMORY_LIMIT: 500,
  TRAP: 500,
  REQUEST_TOO_LARGE: 413,
  RESPONSE_TOO_LARGE: 413,
  CONCURRENCY_LIMIT: 429,
  QUEUE_FULL: 429,
  QUEUE_TIMEOUT: 429,
  CAPABILITY_DENIED: 403,
  INTEGRITY: 502,
  NOT_FOUND: 502,
  LOAD_FAILED: 502,
  WORKER_CRASHED: 500,
  CLOSED: 503,
  CONFIG: 500,
};

/** Which limit fired, as reported in errors, events and metrics. */
export type LimitName =
  | 'timeout'
  | 'memory'
  | 'request-size'
  | 'response-size'
  | 'log-size'
  | 'concurrency-tenant'
  | 'concurrency-extension'
  | 'queue'
  | 'queue-wait'
  | 'storage-value-size'
  | 'storage-keys'
  | 'http-response-size'
  | 'metrics-series';

/** An error raised by the runner, with a stable {@link RunnerErrorCode}. */
export class RunnerError extends Error {
  override readonly name = 'RunnerError';
  /** Stable code; see {@link RunnerErrorCode}. */
  readonly code: RunnerErrorCode;
  /** The limit that fired, when the error is a limit. */
  readonly limit: LimitName | undefined;

  constructor(
    code: RunnerErrorCode,
    message: string,
    options: { cause?: unknown; limit?: LimitName } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.limit = options.limit;
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return RUNNER_ERROR_STATUS[this.code];
  }
}
