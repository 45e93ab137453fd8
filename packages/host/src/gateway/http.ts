import { GatewayError, GatewayErrorCode } from './errors';

/** The correlation header every gateway, asset and runner-service response carries. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The request id to use for `request`: a well-formed incoming `x-request-id` (8-128 of
 * `A-Z a-z 0-9 . _ : -`) is kept so a host's own correlation survives; anything else is
 * replaced by a fresh UUID, so a client cannot inject log lines or oversized ids.
 */
export function requestIdOf(request: Request): string {
  return requestIdFrom(request.headers.get(REQUEST_ID_HEADER));
}

/** {@link requestIdOf} for a raw header value. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/** The JSON body of every error answer: `{error: {code, message, requestId}}`. */
export interface ErrorBody {
  error: { code: GatewayErrorCode; message: string; requestId: string } & Record<string, unknown>;
}

/**
 * The headers every answer of ours carries, whatever produced it, as `[name, value]` pairs:
 * the request id, and `x-content-type-options: nosniff` so browsers never sniff an extension's
 * content type.
 */
export function baseHeaderPairs(requestId: string): [string, string][] {
  return [
    [REQUEST_ID_HEADER, requestId],
    ['x-content-type-options', 'nosniff'],
  ];
}

/** {@link baseHeaderPairs} as `Headers`, for answers that set more headers on them. */
export function baseHeaders(requestId: string): Headers {
  return new Headers(baseHeaderPairs(requestId));
}

/** A JSON response with the base headers and `cache-control: no-store`. */
export function jsonResponse(body: unknown, status: number, requestId: string): Response {
  const headers = baseHeaders(requestId);
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers });
}

/** The HTTP answer for `error`: its status, a JSON body, `retry-after` when it has one. */
export function errorResponse(error: GatewayError, requestId: string): Response {
  const body: ErrorBody = {
    error: { ...error.details, code: error.code, message: error.message, requestId },
  };
  const response = jsonResponse(body, error.status, requestId);
  if (error.retryAfterSeconds !== undefined) {
    response.headers.set('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  }
  return response;
}

/**
 * `error` as a {@link GatewayError}: unknown failures become `INTERNAL` with a fixed message,
 * so nothing of their text (which may hold a path, a query or a secret) reaches the client.
 */
export function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(
    GatewayErrorCode.INTERNAL,
    'The host failed while handling the request; the details are in its logs under this request id.',
    { cause: error },
  );
}

/** The parts of a thrown value safe to log: name, code and message, never a cause chain. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { type: typeof error };
}

/**
 * The error answer for `caught`, logging host-side failures (`INTERNAL`, `UNAVAILABLE`,
 * `CONFIG_INVALID`) under the request id: the client gets the code and a fixed message.
 */
export function answerError(
  caught: unknown,
  requestId: string,
  logger: GatewayLogger | undefined,
  what: string,
): Response {
  const error = asGatewayError(caught);
  if (
    error.code === GatewayErrorCode.INTERNAL ||
    error.code === GatewayErrorCode.UNAVAILABLE ||
    error.code === GatewayErrorCode.CONFIG_INVALID
  ) {
    logger?.error({ requestId, err: describeError(error.cause ?? caught) }, `${what} failed`);
  }
  return errorResponse(error, requestId);
}

/** True when `text` holds a C0 control character or DEL (`tab` allowed when `allowTab`). */
export function hasControlCharacter(text: string, allowTab = false): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && !(allowTab && code === 0x09)) || code === 0x7f) return true;
  }
  return false;
}

/** A minimal structured logger; pino's `Logger` satisfies it. */
export interface GatewayLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
