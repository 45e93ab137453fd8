import { GatewayError, GatewayErrorCode } from './errors';
import { hasControlCharacter } from './http';

/**
 * Request headers a guest may see. Everything else is dropped: credentials (`authorization`,
 * `cookie`, `proxy-authorization`), hop-by-hop headers, `host`, forwarding headers a client
 * could forge, and anything the host injects itself (`x-alga-*`).
 */
const REQUEST_ALLOW = new Set([
  'accept',
  'accept-language',
  'content-type',
  'content-language',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'user-agent',
]);

/** Response headers a guest may set, besides `x-ext-*` and a sanitised `cache-control`. */
const RESPONSE_ALLOW = new Set(['content-type', 'content-language', 'etag', 'last-modified']);

/** Headers the gateway injects; a client's own values for them are never passed on. */
const INJECTED = new Set([
  'x-request-id',
  'x-alga-tenant',
  'x-alga-actor',
  'x-ext-config-version',
  'x-ext-secrets-version',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Caps on the request headers; exceeding either answers 413. */
export interface HeaderLimits {
  /** Most header fields a request may carry. */
  maxHeaderCount: number;
  /** Most bytes of all header names and values together. */
  maxHeaderBytes: number;
}

/** Throws `HEADERS_TOO_LARGE` when `headers` exceed `limits`. */
export function checkHeaderLimits(headers: Headers, limits: HeaderLimits): void {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count += 1;
    bytes += name.length + value.length;
  }
  if (count > limits.maxHeaderCount) {
    throw new GatewayError(
      GatewayErrorCode.HEADERS_TOO_LARGE,
      `The request has ${count} header fields; at most ${limits.maxHeaderCount} are accepted (limits.maxHeaderCount).`,
    );
  }
  if (bytes > limits.maxHeaderBytes) {
    throw new GatewayError(
      GatewayErrorCode.HEADERS_TOO_LARGE,
      `The request headers hold ${bytes} bytes; at most ${limits.maxHeaderBytes} are accepted (limits.maxHeaderBytes).`,
    );
  }
}

/** Whether a guest may see request header `name` (lower-case). */
function requestHeaderAllowed(name: string): boolean {
  if (INJECTED.has(name)) return false;
  return REQUEST_ALLOW.has(name) || name.startsWith('x-ext-');
}

/**
 * The request headers handed to the guest: the allowlisted client headers followed by the
 * gateway's own (`inject`), as ordered `[name, value]` pairs.
 */
export function filterRequestHeaders(
  headers: Headers,
  inject: Readonly<Record<string, string>>,
): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of headers) {
    if (requestHeaderAllowed(name)) out.push([name, value]);
  }
  for (const [name, value] of Object.entries(inject)) out.push([name, value]);
  return out;
}

const SAFE_CACHE_DIRECTIVE =
  /^(no-store|no-cache|private|must-revalidate|no-transform|max-age=\d{1,9})$/;

/**
 * A `cache-control` safe for an authenticated, tenant-scoped answer: only `no-store`,
 * `no-cache`, `private`, `must-revalidate`, `no-transform` and `max-age` survive, and any
 * `max-age` is made `private` so no shared cache keeps one tenant's answer for another.
 * Returns `no-store` when nothing usable is left.
 */
export function sanitizeCacheControl(value: string | undefined): string {
  if (value === undefined) return 'no-store';
  const kept = value
    .split(',')
    .map((directive) => directive.trim().toLowerCase())
    .filter((directive) => SAFE_CACHE_DIRECTIVE.test(directive));
  if (kept.length === 0) return 'no-store';
  if (kept.some((d) => d.startsWith('max-age=')) && !kept.includes('private')) kept.push('private');
  return [...new Set(kept)].join(', ');
}

/** Caps on a guest's response headers; exceeding them answers `RESPONSE_TOO_LARGE`. */
export interface ResponseHeaderLimits {
  maxHeaderCount: number;
  maxHeaderBytes: number;
}

/**
 * The response headers a guest's answer may pass to the client: `content-type`,
 * `content-language`, `etag`, `last-modified`, `x-ext-*` and a sanitised `cache-control`.
 * `set-cookie` and every other header are dropped; names that are not valid tokens and
 * values with control characters are dropped too. Returns `[name, value]` pairs (lower-case
 * names), ready for a `Response`'s `headers`.
 */
export function filterResponseHeaders(
  headers: readonly (readonly [string, string])[],
  limits: ResponseHeaderLimits,
): [string, string][] {
  if (headers.length > limits.maxHeaderCount) {
    throw new GatewayError(
      GatewayErrorCode.RESPONSE_TOO_LARGE,
      `The handler answered with ${headers.length} headers; at most ${limits.maxHeaderCount} are accepted.`,
    );
  }
  let bytes = 0;
  const out: [string, string][] = [];
  let cacheControl: string | undefined;
  for (const [rawName, value] of headers) {
    bytes += rawName.length + value.length;
    const name = rawName.toLowerCase();
    if (!HEADER_NAME.test(name) || hasControlCharacter(value, true)) continue;
    if (name === 'cache-control')
      cacheControl = cacheControl === undefined ? value : `${cacheControl}, ${value}`;
    else if (RESPONSE_ALLOW.has(name) || (name.startsWith('x-ext-') && !INJECTED.has(name))) {
      out.push([name, value]);
    }
  }
  if (bytes > limits.maxHeaderBytes) {
    throw new GatewayError(
      GatewayErrorCode.RESPONSE_TOO_LARGE,
      `The handler's response headers hold ${bytes} bytes; at most ${limits.maxHeaderBytes} are accepted.`,
    );
  }
  out.push(['cache-control', sanitizeCacheControl(cacheControl)]);
  return out;
}
