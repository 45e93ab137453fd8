import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from '../src/index.js';
import { manifestJsonSchemaText } from '../src/internal/json-schema.js';
import { invalidFixtures, validFixtures } from './fixtures.js';

const committed = readFileSync(new URL('../manifest.schema.json', import.meta.url), 'utf8');

describe('manifest.schema.json', () => {
  it('is what the zod schema generates today (run `npm run generate -w packages/manifest`)', () => {
    expect(committed).toBe(manifestJsonSchemaText());
  });

  it('is the schema the package exports', () => {
    expect(manifestJsonSchema).toEqual(JSON.parse(committed));
  });
});

describe('the JSON Schema agrees with parseManifest', () => {
  // Strict, except that conditional branches (`then`, `anyOf`) may require properties their
  // parent schema defines: the usual way to state "if hooks, then iframe".
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(manifestJsonSchema);

  it.each(validFixtures)('accepts $name', ({ manifest }) => {
    const ok = validate(manifest);
    expect(ok ? [] : validate.errors).toEqual([]);
  });

  const caught = invalidFixtures.filter((fixture) => fixture.refinementOnly === undefined);
  const refinementOnly = invalidFixtures.filter((fixture) => fixture.refinementOnly !== undefined);

  it.each(caught)('rejects $name', ({ manifest }) => {
    expect(validate(manifest)).toBe(false);
  });

  it.each(refinementOnly)(
    'accepts $name, which only the zod refinement catches ($refinementOnly)',
    ({ manifest }) => {
      expect(validate(manifest)).toBe(true);
    },
  );

  it('leaves only a handful of rules to refinements', () => {
    expect(refinementOnly.map((fixture) => fixture.name)).toEqual([
      'IPv4-mapped IPv6 egress',
      'non-canonical IPv6 egress',
      'two routes of the same shape',
      'iframe entry outside assets.ui',
      'iframe minHeight above maxHeight',
      'duplicate setting keys',
      'number setting with min above max',
      'number default above max',
      'select default not among the options',
    ]);
  });

  it('points the rejection at the same field as the zod issue', () => {
    for (const fixture of caught) {
      validate(fixture.manifest);
      const pointers = (validate.errors ?? []).map((error) => error.instancePath);
      const expected = fixture.issues.map((issue) =>
        issue.path === ''
          ? ''
          : `/${issue.path
              .replace(/\[(\d+)\]/g, '.$1')
              .replace(/\["([^"]+)"\]/g, '.$1')
              .split('.')
              .filter((part) => part !== '')
              .join('/')}`,
      );
      for (const pointer of expected) {
        const hit = pointers.some(
          (p) => p === pointer || pointer.startsWith(`${p}/`) || p.startsWith(`${pointer}/`),
        );
        expect(hit, `${fixture.name}: ${pointer} in ${pointers.join(', ')}`).toBe(true);
      }
    }
  });
});
