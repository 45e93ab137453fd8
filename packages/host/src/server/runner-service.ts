import { Hono } from 'hono';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import {
  answerError,
  errorResponse,
  type GatewayLogger,
  jsonResponse,
  requestIdOf,
} from '../gateway/http';
import type { LoadHint } from '../runner/engine/engine';
import { RunnerError } from '../runner/errors';
import type { Runner } from '../runner/types';
import { requireBearer } from './auth';
import { readJsonBody } from './json';
import { decodeExecuteRequest, decodeWarmRequest, encodeExecuteResponse } from './wire';

/** Options of {@link createRunnerService}. */
export interface RunnerServiceOptions {
  /** The runner that executes (usually the worker or process runner). */
  runner: ServedRunner;
  /** Shared secret callers present as `authorization: Bearer <token>` (`RUNNER_AUTH_TOKEN`). */
  authToken: string;
  /** Largest execute request accepted, in bytes of JSON (default 16 MiB). */
  maxRequestBytes?: number;
  /** Where failures are logged. */
  logger?: GatewayLogger;
}

/** The runner calls the service makes; `createRunner`'s runner fits (its `warm` takes a hint). */
export type ServedRunner = Pick<Runner, 'execute' | 'stats'> & {
  warm(contentHash: string, hint?: LoadHint): Promise<void>;
};

/** The runner service: a web-standard handler for `/v1/*`. */
export interface RunnerService {
  /** Handles one request; never rejects. */
  fetch(request: Request): Promise<Response>;
}

/**
 * Exposes `runner` over HTTP for hosts that want no tenant code in their process:
 * `POST /v1/execute` (an execute request as JSON, bodies base64), `POST /v1/warm`
 * (`{contentHash}`) and `GET /v1/stats`, each behind the shared bearer token (compared in
 * constant time). {@link RemoteRunner} is the client.
 *
 * @example
 * ```ts
 * const service = createRunnerService({ runner, authToken: process.env.RUNNER_AUTH_TOKEN! });
 * createServer(createNodeListener(service.fetch)).listen(8080);
 * ```
 */
export function createRunnerService(options: RunnerServiceOptions): RunnerService {
  if (options.authToken.length < 16) {
    throw new GatewayError(
      GatewayErrorCode.CONFIG_INVALID,
      'The runner service token (RUNNER_AUTH_TOKEN) must be at least 16 characters.',
    );
  }
  const maxRequestBytes = options.maxRequestBytes ?? 16 * 1024 * 1024;
  const app = new Hono();

  app.use(
    '/v1/*',
    requireBearer(
      options.authToken,
      'The runner service needs authorization: Bearer <RUNNER_AUTH_TOKEN>.',
    ),
  );
  const readJson = <T>(request: Request, decode: (json: unknown) => T) =>
    readJsonBody(request, maxRequestBytes, 'maxRequestBytes', decode);

  app.post('/v1/execute', async (c) => {
    const request = await readJson(c.req.raw, decodeExecuteRequest);
    const response = await options.runner.execute(request);
    const body = encodeExecuteResponse(response, options.runner.stats());
    return jsonResponse(body, 200, request.context.requestId);
  });
  app.post('/v1/warm', async (c) => {
    const { contentHash, hint } = await readJson(c.req.raw, decodeWarmRequest);
    await options.runner.warm(contentHash, hint);
    return jsonResponse({ ok: true }, 200, requestIdOf(c.req.raw));
  });
  app.get('/v1/stats', (c) => jsonResponse(options.runner.stats(), 200, requestIdOf(c.req.raw)));
  app.notFound((c) =>
    errorResponse(
      new GatewayError(GatewayErrorCode.NOT_FOUND, 'No runner service route here.'),
      requestIdOf(c.req.raw),
    ),
  );
  app.onError((caught, c) => {
    if (caught instanceof RunnerError) {
      // Runner errors keep their own code, so RemoteRunner can rethrow the same RunnerError.
      const requestId = requestIdOf(c.req.raw);
      const body = {
        error: { code: caught.code, message: caught.message, requestId },
        runner: true,
      };
      return jsonResponse(body, caught.status, requestId);
    }
    return answerError(caught, requestIdOf(c.req.raw), options.logger, 'runner service request');
  });
  return { fetch: async (request) => app.fetch(request) };
}
