import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { GatewayError, GatewayErrorCode } from './errors';
import { errorResponse, requestIdFrom } from './http';

/** A web-standard request handler, e.g. `gateway.fetch`. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A `node:http` request listener. */
export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => Promise<void>;

/**
 * True when a raw request target's path has a backslash or a dot segment, plain or
 * percent-encoded. Browsers never send these; WHATWG URL parsing would silently resolve them
 * (`\` becomes `/`, `%2e%2e` becomes `..`), so they are refused before any parsing.
 */
export function isSuspiciousTarget(target: string): boolean {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (path.includes('\\') || /%5c/i.test(path)) return true;
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

function rejectTarget(outgoing: ServerResponse, requestId: string): void {
  const response = errorResponse(
    new GatewayError(GatewayErrorCode.NOT_FOUND, 'Nothing is served at this path.'),
    requestId,
  );
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  void response.text().then((text) => outgoing.end(text));
}

/**
 * Turns a web-standard handler into a `node:http` listener (via `@hono/node-server`, which
 * streams both bodies and writes headers safely). Request targets with backslashes or dot
 * segments answer 404 before the handler sees them.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * createServer(createNodeListener(gateway.fetch)).listen(3000, '127.0.0.1');
 * ```
 */
export function createNodeListener(fetch: FetchHandler): NodeListener {
  const listener = getRequestListener((request) => fetch(request), {
    errorHandler: () =>
      errorResponse(
        new GatewayError(
          GatewayErrorCode.BAD_REQUEST,
          'The request target or host header is malformed.',
        ),
        crypto.randomUUID(),
      ),
  });
  return async (incoming, outgoing) => {
    if (isSuspiciousTarget(incoming.url ?? '')) {
      const requestId = incoming.headers['x-request-id'];
      rejectTarget(outgoing, requestIdFrom(typeof requestId === 'string' ? requestId : undefined));
      return;
    }
    await listener(incoming, outgoing);
  };
}

/** The Express request fields the adapter reads; Express 4 and 5 requests satisfy it. */
export interface ExpressRequestLike extends IncomingMessage {
  originalUrl: string;
  body?: unknown;
}

/** An Express-style middleware `(req, res, next)`. */
export type ExpressHandler = (
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Turns a web-standard handler into an Express middleware. Mount it before any body parser
 * (`express.json()` would consume the body stream the handler needs to read with its cap);
 * the full original URL is used, wherever it is mounted.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(['/api/ext', '/api/ext-proxy'], toExpressHandler(gateway.fetch));
 * ```
 */
export function toExpressHandler(fetch: FetchHandler): ExpressHandler {
  const listener = createNodeListener(fetch);
  return (req, res, next) => {
    if (req.body !== undefined && req.readableEnded) {
      next(
        new GatewayError(
          GatewayErrorCode.CONFIG_INVALID,
          'A body parser consumed the request before the Alga handler; mount toExpressHandler() before express.json() and the like.',
        ),
      );
      return;
    }
    // Express strips the mount path from req.url; the handler routes on the full path.
    req.url = req.originalUrl;
    listener(req, res).catch(next);
  };
}
