/**
 * Regenerates manifest.schema.json from the zod schema: `npm run generate -w packages/manifest`.
 * A test fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { manifestJsonSchemaText } from '../src/internal/json-schema.js';

const target = new URL('../manifest.schema.json', import.meta.url);
writeFileSync(target, manifestJsonSchemaText());
console.log(`wrote ${target.pathname}`);
