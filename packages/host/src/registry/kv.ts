import { z } from 'zod';
import { RegistryError, RegistryErrorCode } from './errors.js';
import type { ExecutionLogRow, KvScope, QuotaUsageRow } from './types.js';

/** Longest KV key the store accepts, in UTF-8 bytes. */
export const MAX_KV_KEY_BYTES = 1024;
/** Largest page of {@link RegistryStore.kvList}. */
export const MAX_KV_LIST_LIMIT = 1000;

const encoder = new TextEncoder();
// With the u flag a surrogate pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** UTF-8 length of a string. */
export function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

function invalid(message: string): RegistryError {
  return new RegistryError(RegistryErrorCode.INVALID_ARGUMENT, message);
}

/** Checks a scope's ids. */
export function checkScope(scope: KvScope): void {
  if (!scope || typeof scope.tenantId !== 'string' || scope.tenantId === '') {
    throw invalid('kv scope.tenantId: must be a non-empty string.');
  }
  if (typeof scope.extensionId !== 'string' || scope.extensionId === '') {
    throw invalid('kv scope.extensionId: must be a non-empty string.');
  }
}

/**
 * Checks a KV key: well-formed UTF-16 (so it has a UTF-8 form), no NUL (PostgreSQL text cannot
 * hold it), at most {@link MAX_KV_KEY_BYTES}.
 */
export function checkKey(key: string, what = 'kv key', allowEmpty = false): void {
  if (typeof key !== 'string' || (!allowEmpty && key.length === 0)) {
    throw invalid(`${what}: must be a non-empty string.`);
  }
  if (LONE_SURROGATE.test(key) || key.includes('\0')) {
    throw invalid(`${what}: must be valid Unicode without NUL characters.`);
  }
  const bytes = utf8Length(key);
  if (bytes > MAX_KV_KEY_BYTES) {
    throw invalid(`${what}: is ${bytes} bytes; the limit is ${MAX_KV_KEY_BYTES} bytes.`);
  }
}

/** Checks an `expectedRevision` argument. */
export function checkRevision(expected: number | undefined): void {
  if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw invalid('kv expectedRevision: must be a non-negative integer.');
  }
}

/** Checks a value is bytes. */
export function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw invalid('kv value: must be a Uint8Array.');
}

/** Checks list options and decodes the cursor into the last key of the previous page. */
export function checkListOptions(options: {
  prefix: string;
  cursor?: string | undefined;
  limit: number;
}): { prefix: string; after: string | undefined; limit: number } {
  checkKey(options.prefix, 'kv list prefix', true);
  if (
    !Number.isSafeInteger(options.limit) ||
    options.limit < 1 ||
    options.limit > MAX_KV_LIST_LIMIT
  ) {
    throw invalid(`kv list limit: must be an integer from 1 to ${MAX_KV_LIST_LIMIT}.`);
  }
  let after: string | undefined;
  if (options.cursor !== undefined) {
    after = Buffer.from(options.cursor, 'base64url').toString('utf8');
    if (encodeCursor(after) !== options.cursor || !after.startsWith(options.prefix)) {
      throw invalid(
        'kv list cursor: is not a cursor returned for this prefix; start again without one.',
      );
    }
  }
  return { prefix: options.prefix, after, limit: options.limit };
}

/** The opaque cursor after `key`. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/**
 * The smallest string greater than every string starting with `prefix`, in code point order,
 * or undefined when there is none (empty prefix or all U+10FFFF). Lets a prefix scan be an
 * index range `key >= prefix AND key < bound`.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix].map((ch) => ch.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      // Lone surrogates are not valid keys, so the successor of U+D7FF is U+E000.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return String.fromCodePoint(...points, next);
    }
  }
  return undefined;
}

/** Orders strings by code point (the order of UTF-8 bytes, SQLite BINARY and PostgreSQL "C"). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// UTC only, so that stored times sort as text.
const isoTime = z.iso.datetime();
const id = z.string().min(1).max(500);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const executionLogRowSchema = z.object({
  requestId: id,
  tenantId: id,
  extensionId: id,
  installId: id,
  version: id,
  contentHash: id,
  startedAt: isoTime,
  durationMs: count,
  status: z.number().int().min(0).max(999),
  outcome: z.string().min(1).max(100),
  memoryBytes: count,
  egressBytes: count,
});

const quotaUsageRowSchema = z.object({
  tenantId: id,
  extensionId: id,
  windowStart: isoTime,
  metric: z.string().min(1).max(100),
  amount: z.number().finite(),
});

function checkRows<T>(schema: z.ZodType<T>, rows: readonly T[], what: string): void {
  if (!Array.isArray(rows)) throw invalid(`${what}: must be an array of rows.`);
  rows.forEach((row, index) => {
    const result = schema.safeParse(row);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw invalid(
        `${what}[${index}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}.`,
      );
    }
  });
}

/** Checks execution log rows before writing them. */
export function checkExecutionLogRows(rows: readonly ExecutionLogRow[]): void {
  checkRows(executionLogRowSchema, rows, 'execution log rows');
}

/** Checks quota usage rows before writing them. */
export function checkQuotaUsageRows(rows: readonly QuotaUsageRow[]): void {
  checkRows(quotaUsageRowSchema, rows, 'quota usage rows');
}
