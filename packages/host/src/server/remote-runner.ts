import { readBodyCapped } from '../gateway/body';
import { RUNNER_ERROR_STATUS, RunnerError, RunnerErrorCode } from '../runner/errors';
import type { ExecuteRequest, ExecuteResponse, Runner, RunnerStats } from '../runner/types';
import { decodeExecuteResponse, encodeExecuteRequest } from './wire';

/** Options of {@link RemoteRunner}. */
export interface RemoteRunnerOptions {
  /** Base URL of the runner service (`RUNNER_BASE_URL`), e.g. `http://runner:8080`. */
  baseUrl: string;
  /** The shared token (`RUNNER_AUTH_TOKEN`). */
  authToken: string;
  /**
   * Milliseconds to wait for one execute answer when the request sets no `limits.timeoutMs`
   * (default 30 000); with one, that timeout plus 5 s, so the service's own timeout answers first.
   */
  timeoutMs?: number;
  /** Largest answer accepted from the service, in bytes of JSON (default 16 MiB). */
  maxResponseBytes?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * A {@link Runner} that runs nothing itself: it sends each request to a runner service
 * (`createRunnerService`, `POST /v1/execute`) so no tenant code runs in this process.
 * Transport failures resolve as error responses, like any other runner failure.
 *
 * @example
 * ```ts
 * const runner = new RemoteRunner({ baseUrl: process.env.RUNNER_BASE_URL!,
 *   authToken: process.env.RUNNER_AUTH_TOKEN! });
 * const gateway = createGateway({ registry, store, runner, resolveIdentity });
 * ```
 */
export class RemoteRunner implements Runner {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;
  #total = 0;
  #failed = 0;

  constructor(options: RemoteRunnerOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new RunnerError(RunnerErrorCode.CONFIG, 'RUNNER_BASE_URL is not an absolute URL.', {
        cause,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new RunnerError(
        RunnerErrorCode.CONFIG,
        'RUNNER_BASE_URL must be an http: or https: URL.',
      );
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#token = options.authToken;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /** Sends `request` to the service and resolves with its answer, or a mapped transport error. */
  execute(request: ExecuteRequest): Promise<ExecuteResponse> {
    if (this.#closed)
      return Promise.resolve(failure(RunnerErrorCode.CLOSED, 'The remote runner is closed.'));
    const timeoutMs =
      request.limits?.timeoutMs === undefined ? this.#timeoutMs : request.limits.timeoutMs + 5_000;
    const work = this.#call('/v1/execute', encodeExecuteRequest(request), timeoutMs)
      .then(async (response) => decodeExecuteResponse(await this.#json(response)))
      .catch((error: unknown) => {
        if (error instanceof RunnerError) return failure(error.code, error.message);
        return failure(
          RunnerErrorCode.WORKER_CRASHED,
          'The runner service could not be reached or answered malformed JSON.',
        );
      })
      .then((response) => {
        this.#total += 1;
        if (response.error !== undefined) this.#failed += 1;
        return response;
      });
    return this.#track(work);
  }

  /** Asks the service to load, verify and compile a bundle; rejects with its {@link RunnerError}. */
  async warm(contentHash: string): Promise<void> {
    if (this.#closed) throw new RunnerError(RunnerErrorCode.CLOSED, 'The remote runner is closed.');
    const response = await this.#track(this.#call('/v1/warm', { contentHash }, this.#timeoutMs));
    await this.#json(response);
  }

  /** Counts of this client's calls; the service's own pool is at `GET /v1/stats`. */
  stats(): RunnerStats {
    return {
      mode: 'worker',
      pool: { size: 0, busy: this.#inFlight.size, replaced: 0 },
      queueDepth: 0,
      programs: 0,
      invocations: { total: this.#total, failed: this.#failed },
    };
  }

  /** Stops accepting work and waits for the calls in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async #call(path: string, body: unknown, timeoutMs: number): Promise<Response> {
    return fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** The JSON of a service answer; a non-2xx answer becomes the {@link RunnerError} it carries. */
  async #json(response: Response): Promise<unknown> {
    const bytes = await readBodyCapped(response, this.#maxResponseBytes, 'maxResponseBytes');
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (response.ok) return json;
    const error = (json as { error?: { code?: unknown; message?: unknown } }).error;
    const code =
      typeof error?.code === 'string' && Object.hasOwn(RUNNER_ERROR_STATUS, error.code)
        ? (error.code as RunnerErrorCode)
        : response.status === 401
          ? RunnerErrorCode.CONFIG
          : RunnerErrorCode.WORKER_CRASHED;
    const message =
      response.status === 401
        ? 'The runner service refused the token; check RUNNER_AUTH_TOKEN on both sides.'
        : typeof error?.message === 'string'
          ? error.message
          : `The runner service answered ${response.status}.`;
    throw new RunnerError(code, message);
  }
}

function failure(code: RunnerErrorCode, message: string): ExecuteResponse {
  return { status: RUNNER_ERROR_STATUS[code], headers: [], body: EMPTY, error: { code, message } };
}
