import { describe, expect, it } from 'vitest';
import { readBodyCapped } from '../src/gateway/body';
import { GatewayError } from '../src/gateway/errors';
import {
  checkHeaderLimits,
  filterRequestHeaders,
  filterResponseHeaders,
  sanitizeCacheControl,
} from '../src/gateway/headers';
import { errorResponse, requestIdOf } from '../src/gateway/http';
import { parseExtensionRoute } from '../src/gateway/route';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof GatewayError ? error.code : 'not a GatewayError';
  }
  return undefined;
}

describe('gateway routes', () => {
  it('splits reverse-DNS and scoped extension ids off the path', () => {
    expect(parseExtensionRoute('/api/ext/com.example.hello/items/42')).toEqual({
      kind: 'api',
      extensionId: 'com.example.hello',
      path: '/items/42',
    });
    expect(parseExtensionRoute('/api/ext-proxy/com.example.hello')).toEqual({
      kind: 'ui-proxy',
      extensionId: 'com.example.hello',
      path: '/',
    });
    expect(parseExtensionRoute('/api/ext/@acme/tools/a%20b')).toEqual({
      kind: 'api',
      extensionId: '@acme/tools',
      path: '/a%20b',
    });
    expect(parseExtensionRoute('/api/ext/%40acme%2Ftools/x')?.extensionId).toBe('@acme/tools');
  });

  it('names nothing for foreign paths and invalid ids, and answers 400 for bad encoding', () => {
    expect(parseExtensionRoute('/api/other/com.example.hello')).toBeUndefined();
    expect(parseExtensionRoute('/api/ext/')).toBeUndefined();
    expect(parseExtensionRoute('/api/ext/not_an_id/x')).toBeUndefined();
    expect(parseExtensionRoute('/api/ext/@scope-only')).toBeUndefined();
    expect(codeOf(() => parseExtensionRoute('/api/ext/com.example.hello/%zz'))).toBe('BAD_REQUEST');
  });
});

describe('request headers', () => {
  it('passes only allowlisted headers and puts the injected ones last', () => {
    const incoming = new Headers({
      accept: 'application/json',
      authorization: 'Bearer tenant-key',
      cookie: 'session=abc',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
      'x-forwarded-for': '10.0.0.1',
      'x-alga-tenant': 'forged',
      'x-ext-config-version': '999',
      'x-ext-trace': 't-1',
      'content-type': 'text/plain',
    });
    const filtered = filterRequestHeaders(incoming, {
      'x-request-id': 'req-12345678',
      'x-alga-tenant': 'acme',
      'x-ext-config-version': '3',
    });
    expect(filtered).toEqual([
      ['accept', 'application/json'],
      ['content-type', 'text/plain'],
      ['x-ext-trace', 't-1'],
      ['x-request-id', 'req-12345678'],
      ['x-alga-tenant', 'acme'],
      ['x-ext-config-version', '3'],
    ]);
  });

  it('refuses too many header fields and too many header bytes with 413', () => {
    const many = new Headers();
    for (let i = 0; i < 5; i += 1) many.set(`x-h${i}`, 'v');
    expect(codeOf(() => checkHeaderLimits(many, { maxHeaderCount: 4, maxHeaderBytes: 1000 }))).toBe(
      'HEADERS_TOO_LARGE',
    );
    expect(
      codeOf(() => checkHeaderLimits(many, { maxHeaderCount: 5, maxHeaderBytes: 1000 })),
    ).toBeUndefined();
    const big = new Headers({ 'x-big': 'a'.repeat(200) });
    expect(codeOf(() => checkHeaderLimits(big, { maxHeaderCount: 10, maxHeaderBytes: 100 }))).toBe(
      'HEADERS_TOO_LARGE',
    );
  });
});

describe('response headers', () => {
  const limits = { maxHeaderCount: 10, maxHeaderBytes: 4096 };

  it('drops set-cookie and everything not allowlisted', () => {
    const out = filterResponseHeaders(
      [
        ['Content-Type', 'application/json'],
        ['set-cookie', 'sid=1'],
        ['Set-Cookie', 'sid=2'],
        ['location', 'https://evil.example'],
        ['access-control-allow-origin', '*'],
        ['x-ext-page', '2'],
        ['x-ext-secrets-version', '9'],
        ['x-ext-bad', 'a\r\nset-cookie: x=1'],
        ['etag', '"v1"'],
      ],
      limits,
    );
    expect([...new Headers(out)]).toEqual([
      ['cache-control', 'no-store'],
      ['content-type', 'application/json'],
      ['etag', '"v1"'],
      ['x-ext-page', '2'],
    ]);
  });

  it('keeps only safe cache-control directives and makes max-age private', () => {
    expect(sanitizeCacheControl(undefined)).toBe('no-store');
    expect(sanitizeCacheControl('public, max-age=60')).toBe('max-age=60, private');
    expect(sanitizeCacheControl('s-maxage=600, public')).toBe('no-store');
    expect(sanitizeCacheControl('no-cache, must-revalidate')).toBe('no-cache, must-revalidate');
    const out = filterResponseHeaders([['cache-control', 'public, max-age=5, immutable']], limits);
    expect(new Headers(out).get('cache-control')).toBe('max-age=5, private');
  });

  it('refuses a handler answer with too many headers', () => {
    const headers = Array.from({ length: 11 }, (_, i) => [`x-ext-${i}`, 'v'] as const);
    expect(codeOf(() => filterResponseHeaders(headers, limits))).toBe('RESPONSE_TOO_LARGE');
  });
});

describe('bodies', () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    new Request('http://h/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

  it('reads a body up to the cap', async () => {
    expect(new TextDecoder().decode(await readBodyCapped(post('hello'), 5))).toBe('hello');
  });

  it('refuses an over-long content-length before reading', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(10));
      },
    });
    const error = await readBodyCapped(post(stream, { 'content-length': '100' }), 50).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toContain('at most 50 bytes');
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading an unbounded stream at the cap', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    const error = await readBodyCapped(post(endless), 4096).catch((e) => e);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

describe('request ids and error bodies', () => {
  it('keeps a well-formed incoming id and replaces anything else', () => {
    const keep = new Request('http://h/', { headers: { 'x-request-id': 'abc-12345678' } });
    expect(requestIdOf(keep)).toBe('abc-12345678');
    const bad = new Request('http://h/', { headers: { 'x-request-id': 'x\u0001injected line' } });
    expect(requestIdOf(bad)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(new Request('http://h/'))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers {error: {code, message, requestId}} with retry-after for rate limits', async () => {
    const response = errorResponse(
      new GatewayError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 2.2 }),
      'req-12345678',
    );
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(response.headers.get('x-request-id')).toBe('req-12345678');
    expect(await response.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: 'slow down', requestId: 'req-12345678' },
    });
  });
});
