import { hostCall, requireInterface } from './call';
import type { HostInterfaces } from './host';

/** One outbound request as the host's `http` interface takes it. */
export interface HostHttpRequest {
  /** Upper-case, as the host requires: callers normalise it once, for their messages too. */
  readonly method: string;
  readonly url: string;
  readonly headers: Iterable<readonly [string, string]>;
  readonly body?: Uint8Array;
  readonly timeoutMs?: number;
}

/** The host's whole (size-capped) answer, redirects already followed. */
export interface HostHttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/**
 * Sends `request` through the host's `http` interface (`cap:http.fetch`): the host checks the
 * grant, both allowlists and every redirect hop. `what` names the call in error messages.
 */
export function sendThroughHost(
  host: HostInterfaces,
  what: string,
  request: HostHttpRequest,
): HostHttpAnswer {
  const api = requireInterface(host, 'http', what);
  const sent: Parameters<typeof api.fetch>[0] = {
    method: request.method,
    url: request.url,
    headers: Array.from(request.headers, ([name, value]) => ({ name, value })),
  };
  if (request.body !== undefined) sent.body = request.body;
  if (request.timeoutMs !== undefined) sent.timeoutMs = request.timeoutMs;
  const answer = hostCall('http', what, () => api.fetch(sent));
  return {
    status: answer.status,
    headers: new Headers(answer.headers.map(({ name, value }): [string, string] => [name, value])),
    body: answer.body,
  };
}

/** Statuses whose response has no body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The standard `fetch` for the guest's global scope, so that code written for the web platform,
 * and the libraries an extension bundles, reach the network the one way a guest may: through
 * the host, under the same `cap:http.fetch` grant, allowlists, size and time caps and errors as
 * `ctx.http.fetch`. The host buffers whole bodies and follows redirects itself (checking each
 * hop), so `redirect` other than `follow` is refused rather than silently ignored.
 */
export function createGlobalFetch(host: HostInterfaces): typeof fetch {
  return async (input, init) => {
    // Read from the arguments: the guest engine's Request keeps neither `signal` nor `redirect`.
    const given = input instanceof Request ? input : undefined;
    const signal = init?.signal ?? given?.signal;
    if (signal?.aborted) throw signal.reason;
    const request = new Request(input, init);
    const method = request.method.toUpperCase();
    const redirect = init?.redirect ?? given?.redirect ?? 'follow';
    if (redirect !== 'follow') {
      throw new TypeError(
        `fetch(${method} ${request.url}): redirect "${redirect}" is not supported; the host follows redirects itself and checks every hop against the allowlists`,
      );
    }
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const answer = sendThroughHost(host, `fetch(${method} ${request.url})`, {
      method,
      url: request.url,
      headers: request.headers,
      ...(body === undefined ? {} : { body }),
    });
    const bodyless = method === 'HEAD' || NULL_BODY_STATUSES.has(answer.status);
    // A lifted `list<u8>` is a view of its own ArrayBuffer, never a shared one.
    return new Response(bodyless ? null : (answer.body as Uint8Array<ArrayBuffer>), {
      status: answer.status,
      headers: answer.headers,
    });
  };
}
