import { HandlerError } from './errors';
import type { IncomingRequest } from './host';

/** Which host route delivered the request: a declared API endpoint or the extension's own UI. */
export type RouteKind = 'api' | 'ui-proxy';

const decoder = new TextDecoder();

/** The request a handler receives: the host's `incoming-request` with fetch-style readers. */
export class AlgaRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path below the extension's prefix, starting with `/`. */
  readonly path: string;
  /** Parameters captured by the matched manifest endpoint (`/items/:id` gives `id`). */
  readonly params: Readonly<Record<string, string>>;
  /** The decoded query string; a key may repeat (`getAll`). */
  readonly query: URLSearchParams;
  /** Request headers after the host's allowlist, looked up case-insensitively. */
  readonly headers: Headers;
  /** The matched endpoint's `handler` name from the manifest, when it has one. */
  readonly handler: string | undefined;
  /** Which host route delivered the request. */
  readonly kind: RouteKind;
  readonly #body: Uint8Array;

  constructor(request: IncomingRequest) {
    this.method = request.method;
    this.path = request.path;
    this.params = Object.freeze(Object.fromEntries(request.params));
    this.query = new URLSearchParams(request.query);
    this.headers = new Headers(
      request.headers.map(({ name, value }): [string, string] => [name, value]),
    );
    this.handler = request.handler;
    this.kind = request.kind;
    this.#body = request.body;
  }

  /** The raw body (empty when there is none). */
  async bytes(): Promise<Uint8Array> {
    return this.#body.slice();
  }

  /** The body decoded as UTF-8. */
  async text(): Promise<string> {
    return decoder.decode(this.#body);
  }

  /** The body parsed as JSON; a body that is not JSON answers 400 `BAD_REQUEST` unless caught. */
  async json<T = unknown>(): Promise<T> {
    const text = decoder.decode(this.#body);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new HandlerError(
        'BAD_REQUEST',
        text.length === 0
          ? 'the request has no body; send a JSON body'
          : 'the request body is not valid JSON',
        { cause },
      );
    }
  }
}
