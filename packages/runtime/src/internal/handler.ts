import { createContext, type HandlerContext } from './context';
import { CapabilityError, HandlerError } from './errors';
import type { HostInterfaces, IncomingRequest, OutgoingResponse } from './host';
import { AlgaRequest } from './request';
import { error as errorResponse, type HandlerResponse, text, toOutgoingResponse } from './response';

/** What a handler function may return: a web `Response` or `{ status, headers, body }`. */
export type HandlerResult = HandlerResponse | Response;

/** The function an extension author writes. */
export type HandlerFunction = (
  request: AlgaRequest,
  ctx: HandlerContext,
) => HandlerResult | Promise<HandlerResult>;

/**
 * A handler ready to be compiled into a component: the default export of an extension's entry.
 * The component entry `alga build` generates calls `handle` with the host interfaces it imports.
 */
export interface Handler {
  /**
   * Runs the handler for one request; never throws or rejects (failures become error
   * responses). A handler that answers synchronously is answered synchronously: the component
   * then returns without running its event loop.
   */
  handle(
    request: IncomingRequest,
    host: HostInterfaces,
  ): OutgoingResponse | Promise<OutgoingResponse>;
}

const INTERNAL_MESSAGE = 'The extension failed to handle the request.';

function describe(thrown: unknown): { name: string; message: string; stack: string } {
  if (thrown instanceof Error) {
    // V8 starts a stack with "Name: message", SpiderMonkey (inside the component) does not.
    const header = `${thrown.name}: ${thrown.message}`;
    const frames = thrown.stack ?? '';
    const stack = frames.startsWith(header) ? frames : `${header}\n${frames}`.trimEnd();
    return { name: thrown.name, message: thrown.message, stack };
  }
  const text = String(thrown);
  return { name: typeof thrown, message: text, stack: text };
}

/** Reports a failure on the server side only: through `log` when linked, else to stderr. */
function report(host: HostInterfaces, thrown: unknown, level: 'warn' | 'error'): void {
  const { name, message, stack } = describe(thrown);
  const code =
    thrown instanceof CapabilityError || thrown instanceof HandlerError ? thrown.code : undefined;
  if (host.log !== undefined) {
    try {
      host.log.emit(level, `handler failed: ${name}: ${message}`, [
        { key: 'error.name', valueJson: JSON.stringify(name) },
        { key: 'error.code', valueJson: JSON.stringify(code ?? null) },
        { key: 'error.stack', valueJson: JSON.stringify(stack) },
      ]);
      return;
    } catch {
      // A refused log line must not hide the failure: fall through to stderr.
    }
  }
  console.error(stack);
}

/** The error response for an uncaught failure; only codes and safe messages leave the component. */
function failureResponse(host: HostInterfaces, thrown: unknown): HandlerResponse {
  if (thrown instanceof CapabilityError) {
    if (thrown.code === 'CAPABILITY_DENIED') {
      report(host, thrown, 'warn');
      return errorResponse(403, 'CAPABILITY_DENIED', thrown.message);
    }
    if (thrown.code === 'LIMIT_EXCEEDED') {
      report(host, thrown, 'warn');
      return errorResponse(429, 'LIMIT_EXCEEDED', thrown.message);
    }
    if (thrown.code === 'UNAVAILABLE') {
      report(host, thrown, 'error');
      return errorResponse(
        503,
        'UNAVAILABLE',
        'A service the extension depends on is unavailable; try again later.',
      );
    }
  }
  if (thrown instanceof HandlerError && thrown.code === 'BAD_REQUEST') {
    return errorResponse(400, 'BAD_REQUEST', thrown.message);
  }
  report(host, thrown, 'error');
  return errorResponse(500, 'INTERNAL', INTERNAL_MESSAGE);
}

/**
 * Wraps a request handler for the Alga runtime. Export the result as the entry's default export.
 * An uncaught `CapabilityError` for a denial answers 403, any other uncaught error a 500 with a
 * safe body; the stack goes to `ctx.log` (or stderr), never to the client.
 *
 * @example
 * ```ts
 * import { createHandler, json } from '@alga/runtime';
 *
 * export default createHandler(async (req, ctx) => {
 *   return json({ tenant: ctx.context.tenantId, id: req.params.id });
 * });
 * ```
 */
export function createHandler(fn: HandlerFunction): Handler {
  if (typeof fn !== 'function') {
    throw new HandlerError(
      'INVALID_HANDLER',
      `createHandler expects a function (req, ctx) => response, got ${fn === null ? 'null' : typeof fn}`,
    );
  }
  return { handle: (incoming, host) => respond(fn, incoming, host) };
}

/** Runs `fn` for one request and turns what it returns (or throws) into the WIT response. */
function respond(
  fn: HandlerFunction,
  incoming: IncomingRequest,
  host: HostInterfaces,
): OutgoingResponse | Promise<OutgoingResponse> {
  const fail = (thrown: unknown) =>
    toOutgoingResponse(failureResponse(host, thrown)) as OutgoingResponse;
  try {
    const result = fn(new AlgaRequest(incoming), createContext(host));
    const outgoing = isThenable(result)
      ? Promise.resolve(result).then(toOutgoingResponse)
      : toOutgoingResponse(result);
    return isThenable(outgoing) ? Promise.resolve(outgoing).catch(fail) : outgoing;
  } catch (thrown) {
    return fail(thrown);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

// Inside a component this module's top level runs once, when the component is built
// (componentize-js snapshots the engine after it). Answering one request here, with a function
// of our own and no host, leaves the request and response path parsed and its regular
// expressions compiled in that snapshot, instead of in every new instance's first request.
respond(
  (request) => {
    void [request.params, request.query.get(''), request.headers.get('accept')];
    return text('');
  },
  {
    method: 'GET',
    path: '/',
    query: [],
    headers: [{ name: 'accept', value: '*/*' }],
    body: new Uint8Array(),
    params: [],
    kind: 'api',
  },
  {},
);
