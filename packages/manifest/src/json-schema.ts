import schema from '../manifest.schema.json' with { type: 'json' };

/** A JSON Schema document. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema (draft 2020-12) of `manifest.json`, generated from the zod schema and
 * shipped as `@alga/manifest/manifest.schema.json`. It accepts and rejects the same
 * manifests as {@link parseManifest}, except for the few rules JSON Schema cannot state
 * (duplicate setting keys or routes, select and number defaults, canonical IPv6 forms,
 * iframe entry inside `assets.ui`); use it for editors and non-TypeScript tooling.
 *
 * @example
 * ```ts
 * import Ajv from 'ajv/dist/2020.js';
 * const validate = new Ajv().compile(manifestJsonSchema);
 * ```
 */
export const manifestJsonSchema: JsonSchema = schema;
