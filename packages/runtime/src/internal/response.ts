import { HandlerError } from './errors';
import type { OutgoingResponse } from './host';

/** Response headers: a record, a list of pairs, or a `Headers` object. */
export type HeadersLike =
  | Readonly<Record<string, string>>
  | ReadonlyArray<readonly [string, string]>
  | Headers;

/** Status and headers of a response. */
export interface ResponseOptions {
  /** HTTP status, 200 to 599 (default 200). */
  status?: number;
  /** Response headers; names are sent lower-case. */
  headers?: HeadersLike;
}

/** What a handler may return besides a web `Response`: status, headers and a body. */
export interface HandlerResponse extends ResponseOptions {
  /** The body: text is sent as UTF-8. */
  body?: string | Uint8Array | ArrayBuffer | null;
}

const encoder = new TextEncoder();
const RESPONSE_KEYS = new Set(['status', 'headers', 'body']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function withContentType(headers: HeadersLike | undefined, type: string): HeadersLike {
  // Most responses set no headers of their own: one pair, without a Headers object to fill and read.
  if (headers === undefined) return [['content-type', type]];
  const merged = new Headers(headers as ConstructorParameters<typeof Headers>[0]);
  if (!merged.has('content-type')) merged.set('content-type', type);
  return merged;
}

/**
 * A JSON response (`content-type: application/json; charset=utf-8` unless `init` sets one).
 *
 * @example
 * ```ts
 * return json({ id: req.params.id }, { status: 200 });
 * ```
 */
export function json(data: unknown, init: ResponseOptions = {}): HandlerResponse {
  const body = JSON.stringify(data);
  if (body === undefined) {
    throw new HandlerError(
      'INVALID_RESPONSE',
      `json() cannot encode a ${typeof data}; pass a JSON value`,
    );
  }
  return {
    ...init,
    headers: withContentType(init.headers, 'application/json; charset=utf-8'),
    body,
  };
}

/** A plain-text response (`content-type: text/plain; charset=utf-8` unless `init` sets one). */
export function text(body: string, init: ResponseOptions = {}): HandlerResponse {
  return { ...init, headers: withContentType(init.headers, 'text/plain; charset=utf-8'), body };
}

/**
 * The error body every Alga component and host uses: `{ "error": { "code", "message" } }`.
 *
 * @example
 * ```ts
 * if (!item) return error(404, 'ITEM_NOT_FOUND', `no item ${req.params.id}`);
 * ```
 */
export function error(status: number, code: string, message: string): HandlerResponse {
  return json({ error: { code, message } }, { status });
}

function headerList(headers: HeadersLike | undefined): OutgoingResponse['headers'] {
  if (headers === undefined) return [];
  const pairs: ReadonlyArray<readonly [string, string]> =
    headers instanceof Headers
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? (headers as ReadonlyArray<readonly [string, string]>)
        : Object.entries(headers as Readonly<Record<string, string>>);
  return pairs.map(([rawName, value]) => {
    const name = String(rawName).toLowerCase();
    if (!TOKEN.test(name)) {
      throw new HandlerError(
        'INVALID_RESPONSE',
        `response header name ${JSON.stringify(rawName)} is not a valid HTTP token`,
      );
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new HandlerError(
        'INVALID_RESPONSE',
        `response header ${name} must be a string without CR, LF or NUL`,
      );
    }
    return { name, value };
  });
}

function checkStatus(status: unknown): number {
  if (status === undefined) return 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new HandlerError(
      'INVALID_RESPONSE',
      `response status must be an integer from 200 to 599, got ${String(status)}`,
    );
  }
  return status;
}

function bodyBytes(body: HandlerResponse['body']): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array();
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // Byte arrays from another realm (the guest's own `req.bytes()`) fail `instanceof`.
  const view: unknown = body;
  if (ArrayBuffer.isView(view))
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  throw new HandlerError(
    'INVALID_RESPONSE',
    `response body must be a string, Uint8Array or ArrayBuffer, got ${typeof body}; use json(data) for objects`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Turns what a handler returned into the WIT response, or explains what is wrong with it.
 * Answers synchronously unless `result` is a web `Response` (its body is read asynchronously).
 */
export function toOutgoingResponse(result: unknown): OutgoingResponse | Promise<OutgoingResponse> {
  if (typeof Response !== 'undefined' && result instanceof Response) {
    return result.arrayBuffer().then((body) => ({
      status: checkStatus(result.status),
      headers: headerList(result.headers),
      body: new Uint8Array(body),
    }));
  }
  if (!isPlainObject(result)) {
    throw new HandlerError(
      'INVALID_RESPONSE',
      `the handler returned ${result === null ? 'null' : typeof result}; return json(data), text(string), error(...), a Response or { status, headers, body }`,
    );
  }
  const unknownKey = Object.keys(result).find((key) => !RESPONSE_KEYS.has(key));
  if (unknownKey !== undefined) {
    throw new HandlerError(
      'INVALID_RESPONSE',
      `the handler returned an object with key "${unknownKey}"; a response has only status, headers and body (wrap data in json(data))`,
    );
  }
  const response = result as HandlerResponse;
  return {
    status: checkStatus(response.status),
    headers: headerList(response.headers),
    body: bodyBytes(response.body),
  };
}
