/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/ui-proxy@1.0.0' {
  /**
   * Calls host route `route` with `payload` (usually JSON) and returns its answer.
   */
  export function call(route: string, payload: Uint8Array): Uint8Array;
  export type Error = import('alga:extension/types@1.0.0').Error;
}
