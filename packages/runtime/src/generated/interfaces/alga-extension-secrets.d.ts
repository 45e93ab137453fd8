/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/secrets@1.0.0' {
  /**
   * The plaintext of secret `key`; `not-found` when it is unset.
   */
  export function get(key: string): string;
  /**
   * The names (never the values) of the secrets that are set.
   */
  export function listNames(): Array<string>;
  export type Error = import('alga:extension/types@1.0.0').Error;
}
