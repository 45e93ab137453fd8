/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/handler@1.0.0' {
  /**
   * Handles one request. Must not trap: the runtime turns uncaught errors into a 500.
   */
  export function handle(request: IncomingRequest): OutgoingResponse;
  export type IncomingRequest = import('alga:extension/types@1.0.0').IncomingRequest;
  export type OutgoingResponse = import('alga:extension/types@1.0.0').OutgoingResponse;
}
