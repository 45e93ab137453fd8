/// <reference path="./alga-extension-types.d.ts" />
declare module 'alga:extension/storage@1.0.0' {
  /**
   * The entry at `key`, or none.
   */
  export function get(key: string): Entry | undefined;
  /**
   * Writes `value` and returns the new revision. With `expected-revision`, writes only when
   * the stored revision equals it (`0` means the key must not exist), else `conflict`.
   */
  export function put(key: string, value: Uint8Array, expectedRevision: bigint | undefined): bigint;
  /**
   * Deletes `key`; true when it existed. `expected-revision` works as in `put`.
   */
  export { _delete as delete };
  function _delete(key: string, expectedRevision: bigint | undefined): boolean;
  /**
   * Keys starting with `prefix`, in lexicographic order, at most `limit` per page.
   */
  export function listKeys(prefix: string, cursor: string | undefined, limit: number | undefined): Page;
  export type Error = import('alga:extension/types@1.0.0').Error;
  export interface Entry {
    key: string,
    value: Uint8Array,
    /**
     * Increases by one on every write of the key.
     */
    revision: bigint,
  }
  export interface Page {
    keys: Array<string>,
    /**
     * Pass back to `list` for the next page; none on the last page.
     */
    nextCursor?: string,
  }
}
