/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/metrics@1.0.0' {
  /**
   * Adds `value` (>= 0) to counter `name`.
   */
  export function counter(name: string, value: number, labels: Array<Label>): void;
  /**
   * Records one observation of `value` in histogram `name`.
   */
  export function histogram(name: string, value: number, labels: Array<Label>): void;
  export type Error = import('alga:extension/types@1.0.0').Error;
  export interface Label {
    key: string,
    value: string,
  }
}
