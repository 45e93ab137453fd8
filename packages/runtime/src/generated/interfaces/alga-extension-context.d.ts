/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/context@1.0.0' {
  /**
   * The current invocation's identifiers.
   */
  export function get(): Invocation;
  export type Error = import('alga:extension/types@1.0.0').Error;
  /**
   * Identifiers of the current invocation.
   */
  export interface Invocation {
    requestId: string,
    tenantId: string,
    extensionId: string,
    installId: string,
    /**
     * The extension version (semver).
     */
    version: string,
    /**
     * `sha256:<hex>` of the bundle being run.
     */
    contentHash: string,
  }
}
