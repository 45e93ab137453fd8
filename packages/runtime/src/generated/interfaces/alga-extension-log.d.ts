/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/log@1.0.0' {
  export function emit(level: Level, message: string, fields: Array<Field>): void;
  export type Error = import('alga:extension/types@1.0.0').Error;
  /**
   * # Variants
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type Level = 'debug' | 'info' | 'warn' | 'error';
  export interface Field {
    key: string,
    /**
     * JSON-encoded value.
     */
    valueJson: string,
  }
}
