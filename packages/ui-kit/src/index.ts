/**
 * `@alga/ui-kit`.
 *
 * @packageDocumentation
 */
export {};
