import { HandlerError } from './errors';
import type { IncomingRequest } from './host';

/** Which host route delivered the request: a declared API endpoint or the extension's own UI. */
export type RouteKind = 'api' | 'ui-proxy';

const decoder = new TextDecoder();

/**
 * The request a handler receives: the host's `incoming-request` with fetch-style readers.
 * `params`, `query` and `headers` are built on first use: inside the component every object is
 * made by an interpreter, and most handlers read one of them or none.
 */
export class AlgaRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path below the extension's prefix, starting with `/`. */
  readonly path: string;
  /** The matched endpoint's `handler` name from the manifest, when it has one. */
  readonly handler: string | undefined;
  /** Which host route delivered the request. */
  readonly kind: RouteKind;
  readonly #incoming: IncomingRequest;
  #params: Readonly<Record<string, string>> | undefined;
  #query: URLSearchParams | undefined;
  #headers: Headers | undefined;

  constructor(request: IncomingRequest) {
    this.method = request.method;
    this.path = request.path;
    this.handler = request.handler;
    this.kind = request.kind;
    this.#incoming = request;
  }

  /** Parameters captured by the matched manifest endpoint (`/items/:id` gives `id`). */
  get params(): Readonly<Record<string, string>> {
    this.#params ??= Object.freeze(Object.fromEntries(this.#incoming.params));
    return this.#params;
  }

  /** The decoded query string; a key may repeat (`getAll`). */
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#incoming.query);
    return this.#query;
  }

  /** Request headers after the host's allowlist, looked up case-insensitively. */
  get headers(): Headers {
    this.#headers ??= new Headers(
      this.#incoming.headers.map(({ name, value }): [string, string] => [name, value]),
    );
    return this.#headers;
  }

  /** The raw body (empty when there is none). */
  async bytes(): Promise<Uint8Array> {
    return this.#incoming.body.slice();
  }

  /** The body decoded as UTF-8. */
  async text(): Promise<string> {
    return decoder.decode(this.#incoming.body);
  }

  /** The body parsed as JSON; a body that is not JSON answers 400 `BAD_REQUEST` unless caught. */
  async json<T = unknown>(): Promise<T> {
    const text = decoder.decode(this.#incoming.body);
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
