declare module 'alga:extension/types@1.0.0' {
  /**
   * One HTTP header. Names are lower-case ASCII.
   */
  export interface Header {
    name: string,
    value: string,
  }
  /**
   * Why a host call failed. The string says what was wrong, for people; the case is the API.
   */
  export type Error = ErrorDenied | ErrorNotFound | ErrorInvalid | ErrorUnavailable | ErrorLimit | ErrorConflict;
  /**
   * The install was not granted the capability this call needs (names the capability).
   */
  export interface ErrorDenied {
    tag: 'denied',
    val: string,
  }
  /**
   * The thing asked for does not exist (an unset secret, a missing key).
   */
  export interface ErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * The arguments were malformed (a bad URL, an over-long key).
   */
  export interface ErrorInvalid {
    tag: 'invalid',
    val: string,
  }
  /**
   * The host could not do it right now (an upstream timed out, a store is down).
   */
  export interface ErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
  /**
   * A quota or size limit was reached (names the limit).
   */
  export interface ErrorLimit {
    tag: 'limit',
    val: string,
  }
  /**
   * A compare-and-set write found another revision than the one expected.
   */
  export interface ErrorConflict {
    tag: 'conflict',
    val: string,
  }
  /**
   * Which host route delivered a request.
   * # Variants
   * 
   * ## `"api"`
   * 
   * `/api/ext/{extension}/...`: a declared API endpoint.
   * ## `"ui-proxy"`
   * 
   * `/api/ext-proxy/{extension}/...`: a call from the extension's own iframe UI.
   */
  export type RouteKind = 'api' | 'ui-proxy';
  /**
   * The request the host hands to the extension's handler.
   */
  export interface IncomingRequest {
    /**
     * Upper-case HTTP method.
     */
    method: string,
    /**
     * The path below the extension's prefix, starting with `/`.
     */
    path: string,
    /**
     * Decoded query pairs, in order; a key may repeat.
     */
    query: Array<[string, string]>,
    /**
     * Request headers after the gateway's allowlist.
     */
    headers: Array<Header>,
    /**
     * The request body (empty when there is none).
     */
    body: Uint8Array,
    /**
     * Parameters captured by the matched manifest endpoint (`/items/:id` gives `id`).
     */
    params: Array<[string, string]>,
    /**
     * The matched endpoint's `handler` name, when the manifest gave one.
     */
    handler?: string,
    /**
     * Which route delivered the request.
     */
    kind: RouteKind,
  }
  /**
   * The handler's answer.
   */
  export interface OutgoingResponse {
    status: number,
    headers: Array<Header>,
    body: Uint8Array,
  }
}
