/**
 * `@alga/iframe-sdk`.
 *
 * @packageDocumentation
 */
export {};
