/**
 * `@alga/runtime`.
 *
 * @packageDocumentation
 */
export {};
