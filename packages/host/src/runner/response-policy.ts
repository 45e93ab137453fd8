import { RunnerError } from './errors';
import type { WitOutgoingResponse } from './worker/protocol';

/** Response headers a handler may set by default; `x-ext-*` headers pass too. */
export const DEFAULT_RESPONSE_HEADERS: readonly string[] = [
  'cache-control',
  'content-disposition',
  'content-language',
  'content-type',
  'etag',
  'expires',
  'last-modified',
  'link',
  'location',
  'retry-after',
  'vary',
];

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const VALUE = /^[^\r\n\0]*$/;

/** Which response headers leave the runner. `set-cookie` never does, whatever the list says. */
export class ResponsePolicy {
  readonly #allow: ReadonlySet<string>;

  constructor(allow: readonly string[] = DEFAULT_RESPONSE_HEADERS) {
    const names = allow.map((name) => name.toLowerCase());
    if (names.includes('set-cookie')) {
      throw new RunnerError(
        'CONFIG',
        'responseHeaders must not allow set-cookie: extensions never set cookies on the host origin',
      );
    }
    this.#allow = new Set(names);
  }

  /** Checks the handler's response and keeps only allowed headers. */
  apply(response: WitOutgoingResponse): {
    status: number;
    headers: Array<[string, string]>;
    body: Uint8Array;
  } {
    if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
      throw new RunnerError(
        'TRAP',
        `the handler answered with status ${response.status}; use 200-599`,
      );
    }
    const headers: Array<[string, string]> = [];
    for (const { name, value } of response.headers) {
      const lower = name.toLowerCase();
      if (lower === 'set-cookie' || !TOKEN.test(lower) || !VALUE.test(value)) continue;
      if (this.#allow.has(lower) || lower.startsWith('x-ext-')) headers.push([lower, value]);
    }
    return { status: response.status, headers, body: response.body };
  }
}
