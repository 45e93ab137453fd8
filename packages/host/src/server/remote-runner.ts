import { readBodyCapped } from '../gateway/body';
import type { LoadHint } from '../runner/engine/engine';
import { RUNNER_ERROR_STATUS, RunnerError, RunnerErrorCode } from '../runner/errors';
import type { ExecuteRequest, ExecuteResponse, Runner, RunnerStats } from '../runner/types';
import { decodeExecuteResponse, decodeStats, encodeExecuteRequest } from './wire';

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
  #serviceStats: RunnerStats | undefined;
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
      .then(async (answer) => {
        const { response, stats } = decodeExecuteResponse(await this.#json(answer));
        if (stats !== undefined) this.#serviceStats = stats;
        return response;
      })
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

  /**
   * Asks the service to load, verify and compile a bundle (`hint` names whose it is, for the
   * signature lookup); rejects with the service's {@link RunnerError}.
   */
  async warm(contentHash: string, hint?: LoadHint): Promise<void> {
    if (this.#closed) throw new RunnerError(RunnerErrorCode.CLOSED, 'The remote runner is closed.');
    const body = { contentHash, ...hint };
    await this.#json(await this.#track(this.#call('/v1/warm', body, this.#timeoutMs)));
  }

  /**
   * The service runner's state as of its latest answer (mode, pool, queue, programs), with
   * this client's own invocation counts; before any answer, only the client's counts.
   */
  stats(): RunnerStats {
    const service = this.#serviceStats;
    return {
      mode: service?.mode ?? 'worker',
      pool: service?.pool ?? { size: 0, busy: 0, replaced: 0 },
      queueDepth: service?.queueDepth ?? 0,
      programs: service?.programs ?? 0,
      invocations: { total: this.#total, failed: this.#failed },
    };
  }

  /** Fetches the service runner's current stats (`GET /v1/stats`). */
  async serviceStats(): Promise<RunnerStats> {
    const response = await fetch(`${this.#base}/v1/stats`, {
      headers: { authorization: `Bearer ${this.#token}` },
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    this.#serviceStats = decodeStats(await this.#json(response));
    return this.#serviceStats;
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

  /**
   * The JSON of a service answer. A runner error the service relays (`runner: true`) becomes
   * the same {@link RunnerError}; a refusal of the service itself maps by status (401: the
   * token, 400: the request, 413: its size); anything else is the service failing.
   */
  async #json(response: Response): Promise<unknown> {
    const bytes = await readBodyCapped(response, this.#maxResponseBytes, 'maxResponseBytes');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new RunnerError(
        RunnerErrorCode.WORKER_CRASHED,
        `The runner service answered ${response.status} with a body that is not JSON.`,
        { cause },
      );
    }
    if (response.ok) return json;
    const body = json as { error?: { code?: unknown; message?: unknown }; runner?: unknown };
    const message = typeof body.error?.message === 'string' ? body.error.message : undefined;
    const code = body.error?.code;
    if (
      body.runner === true &&
      typeof code === 'string' &&
      Object.hasOwn(RUNNER_ERROR_STATUS, code)
    ) {
      throw new RunnerError(code as RunnerErrorCode, message ?? 'The runner failed.');
    }
    if (response.status === 401) {
      throw new RunnerError(
        RunnerErrorCode.CONFIG,
        'The runner service refused the token; set the same RUNNER_AUTH_TOKEN on both sides.',
      );
    }
    if (response.status === 400) {
      throw new RunnerError(
        RunnerErrorCode.INVALID_REQUEST,
        message ?? 'The runner service refused the request.',
      );
    }
    if (response.status === 413) {
      throw new RunnerError(
        RunnerErrorCode.REQUEST_TOO_LARGE,
        message ?? 'The request is too large for the runner service.',
      );
    }
    throw new RunnerError(
      RunnerErrorCode.WORKER_CRASHED,
      `The runner service answered ${response.status}.`,
    );
  }
}

function failure(code: RunnerErrorCode, message: string): ExecuteResponse {
  return { status: RUNNER_ERROR_STATUS[code], headers: [], body: EMPTY, error: { code, message } };
}
