/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/config@1.0.0' {
  /**
   * The JSON-encoded value of `key`, or none when it is unset.
   */
  export function get(key: string): string | undefined;
  /**
   * Every configuration value of the install.
   */
  export function entries(): Array<Entry>;
  export type Error = import('alga:extension/types@1.0.0').Error;
  /**
   * One configuration value, JSON-encoded (`"text"`, `42`, `true`).
   */
  export interface Entry {
    key: string,
    valueJson: string,
  }
}
