import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';

/**
 * True when `presented` equals `expected`, compared in constant time. Both are hashed first
 * so neither the comparison time nor a length check reveals anything about the token.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `authorization: Bearer <token>` header, or `undefined`. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim());
  return match?.[1];
}

/** True when `request` carries `authorization: Bearer <expected>`. */
export function hasBearer(request: Request, expected: string): boolean {
  const token = bearerToken(request);
  return token !== undefined && tokensEqual(token, expected);
}

/** Hono middleware answering 401 `UNAUTHENTICATED` (with `message`) unless the bearer token is `expected`. */
export function requireBearer(expected: string, message: string): MiddlewareHandler {
  return async (c, next) => {
    if (!hasBearer(c.req.raw, expected)) {
      throw new GatewayError(GatewayErrorCode.UNAUTHENTICATED, message);
    }
    await next();
  };
}
