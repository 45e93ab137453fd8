import * as z from 'zod';
import { jsonSchemaExtras, manifestSchema } from '../schema.js';

/**
 * Generates the manifest's JSON Schema (draft 2020-12) from the zod schema, for the input
 * side: fields with defaults are optional. `manifest.schema.json` holds its output.
 */
export function generateManifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, {
    target: 'draft-2020-12',
    io: 'input',
    metadata: jsonSchemaExtras,
    unrepresentable: 'throw',
  }) as Record<string, unknown>;
}

/** The text of `manifest.schema.json`: the generated schema, two-space indented. */
export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(generateManifestJsonSchema(), null, 2)}\n`;
}
