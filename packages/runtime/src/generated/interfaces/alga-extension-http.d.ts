/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/http@1.0.0' {
  /**
   * Performs the request on the host side and returns the whole (size-capped) response.
   */
  export function fetch(request: OutboundRequest): OutboundResponse;
  export type Header = import('alga:extension/types@1.0.0').Header;
  export type Error = import('alga:extension/types@1.0.0').Error;
  export interface OutboundRequest {
    /**
     * Upper-case HTTP method.
     */
    method: string,
    /**
     * Absolute `https:` URL (`http:` only where the operator allows it).
     */
    url: string,
    headers: Array<Header>,
    body?: Uint8Array,
    /**
     * Per-call timeout; the host caps it at its own maximum.
     */
    timeoutMs?: number,
  }
  export interface OutboundResponse {
    status: number,
    headers: Array<Header>,
    body: Uint8Array,
  }
}
