import * as z from 'zod';
import { didYouMean } from './did-you-mean.js';
import { listOf, quote } from './text.js';

/** One problem found in a manifest. */
export interface ManifestIssue {
  /** Where: `version`, `api.endpoints[2].path`, `settings[0].default`; empty for the whole manifest. */
  readonly path: string;
  /** What is wrong and, where it helps, what to write instead. */
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['api', 'endpoints', 2, 'path']` as `api.endpoints[2].path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && !Number.isInteger(input)) return 'a fractional number';
  if (typeof input === 'boolean') return 'a boolean';
  return TYPE_NAMES[typeof input] ?? typeof input;
}

function unit(origin: string, count: number | bigint): string {
  if (origin === 'string') return count === 1 ? 'character' : 'characters';
  if (origin === 'array' || origin === 'set') return count === 1 ? 'item' : 'items';
  return '';
}

/**
 * Builds the zod error map used for one parse. It words every generic issue for people, and
 * records the known keys of each object that had unknown ones, for "did you mean" hints.
 */
export function createErrorMap(knownKeys: Map<string, readonly string[]>): z.core.$ZodErrorMap {
  return (iss) => {
    switch (iss.code) {
      case 'invalid_type':
        if (iss.input === undefined) return 'is required';
        return `must be ${TYPE_NAMES[iss.expected] ?? iss.expected} (got ${describeInput(iss.input)})`;
      case 'too_small': {
        const min = iss.minimum;
        if (iss.origin === 'string' && min === 1) return 'must not be empty';
        if (iss.origin === 'array' && min === 1) return 'must have at least one item';
        const bound = iss.inclusive === false ? 'greater than' : 'at least';
        const what = unit(iss.origin, min);
        return iss.origin === 'array'
          ? `must have at least ${min} ${what}`
          : `must be ${bound} ${min}${what === '' ? '' : ` ${what}`}`;
      }
      case 'too_big': {
        const max = iss.maximum;
        const what = unit(iss.origin, max);
        if (iss.origin === 'array') return `must have at most ${max} ${what}`;
        const bound = iss.inclusive === false ? 'less than' : 'at most';
        return `must be ${bound} ${max}${what === '' ? '' : ` ${what}`}`;
      }
      case 'invalid_value': {
        if (iss.input === undefined) return 'is required';
        const values = iss.values.map(String);
        return `must be ${values.length === 1 ? `'${values[0]}'` : `one of ${listOf(values)}`}${didYouMean(iss.input, values)}`;
      }
      case 'invalid_union': {
        if (iss.discriminator === undefined) return 'does not match any allowed form';
        const options = ('options' in iss && Array.isArray(iss.options) ? iss.options : []).map(
          String,
        );
        const value =
          typeof iss.input === 'object' && iss.input !== null
            ? (iss.input as Record<string, unknown>)[iss.discriminator]
            : undefined;
        if (value === undefined) return `is required: one of ${listOf(options)}`;
        const shown = typeof value === 'string' ? quote(value) : describeInput(value);
        return `${shown} is not one of ${listOf(options)}${didYouMean(value, options)}`;
      }
      case 'unrecognized_keys': {
        if (iss.inst instanceof z.ZodObject) {
          knownKeys.set(formatPath(iss.path ?? []), Object.keys(iss.inst.shape));
        }
        return `unknown field${iss.keys.length === 1 ? '' : 's'} ${listOf(iss.keys, 'and')}`;
      }
      case 'not_multiple_of':
        return `must be a multiple of ${iss.divisor}`;
      default:
        return undefined;
    }
  };
}

/** Most issues reported for one manifest; beyond that the input is not a manifest at all. */
export const MAX_ISSUES = 100;

/**
 * Where `path` lies in the input, as a sort key: object keys by their position in the input
 * (absent keys last), array indexes by number. Sorting on it lists issues in document order.
 */
function documentPosition(input: unknown, path: readonly PropertyKey[]): number[] {
  const position: number[] = [];
  let node = input;
  for (const key of path) {
    if (typeof key === 'number') {
      position.push(key);
      node = Array.isArray(node) ? node[key] : undefined;
    } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
      const index = Object.keys(node).indexOf(String(key));
      position.push(index === -1 ? Number.MAX_SAFE_INTEGER : index);
      node = index === -1 ? undefined : (node as Record<string, unknown>)[String(key)];
    } else {
      position.push(Number.MAX_SAFE_INTEGER);
      node = undefined;
    }
  }
  return position;
}

function comparePositions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = a[i]! - b[i]!;
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

/**
 * Turns zod issues into manifest issues, in the order their fields appear in the input: one
 * issue per unknown field, with "did you mean" hints.
 */
export function toManifestIssues(
  issues: readonly z.core.$ZodIssue[],
  knownKeys: ReadonlyMap<string, readonly string[]>,
  input: unknown,
): ManifestIssue[] {
  const located: { issue: ManifestIssue; position: number[] }[] = [];
  const add = (path: readonly PropertyKey[], message: string) => {
    located.push({
      issue: { path: formatPath(path), message },
      position: documentPosition(input, path),
    });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys.get(formatPath(issue.path)) ?? [];
      for (const key of issue.keys)
        add([...issue.path, key], `unknown field${didYouMean(key, known)}`);
    } else {
      add(issue.path, issue.message);
    }
  }
  const out = located
    .sort((a, b) => comparePositions(a.position, b.position))
    .map(({ issue }) => issue);
  if (out.length <= MAX_ISSUES) return out;
  const shown = out.slice(0, MAX_ISSUES);
  shown.push({ path: '', message: `and ${out.length - MAX_ISSUES} more problems not listed` });
  return shown;
}
