/**
 * `@alga/manifest`.
 *
 * @packageDocumentation
 */
export {};
