import { CAPABILITY_IDS, type CapabilityId } from '@alga/manifest';
import { z } from 'zod';
import { secretEnvelopeSchema } from '../secrets/sealer';
import { RunnerError } from './errors';
import { limitOverridesSchema } from './limits';
import type { ExecuteRequest } from './types';

/**
 * Bounds of {@link executeRequestSchema} that a request's own parts (rather than its install's)
 * could exceed; the gateway checks them before it marks a request as checked.
 */
export const EXECUTE_REQUEST_BOUNDS = {
  /** Longest id (request, tenant, extension, install). */
  id: 500,
  path: 8192,
  queryPairs: 1000,
  headers: 200,
  /** An upper-case HTTP method. */
  method: /^[A-Z]{1,16}$/,
  /** A header value: no CR, LF or NUL. */
  headerValue: /^[^\r\n\0]*$/,
} as const;

const id = z.string().min(1).max(EXECUTE_REQUEST_BOUNDS.id);
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9a-z-]+$/, 'must be a lower-case HTTP header name');
const headerValue = z
  .string()
  .regex(EXECUTE_REQUEST_BOUNDS.headerValue, 'must not hold CR, LF or NUL');

/** Zod schema of an {@link ExecuteRequest}, checked at the runner's boundary. */
export const executeRequestSchema = z.object({
  context: z.object({
    requestId: id,
    tenantId: id,
    extensionId: id,
    installId: id,
    version: z.string().min(1).max(100),
    contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lower-case hex>'),
  }),
  http: z.object({
    method: z.string().regex(EXECUTE_REQUEST_BOUNDS.method, 'must be an upper-case HTTP method'),
    path: z.string().startsWith('/').max(EXECUTE_REQUEST_BOUNDS.path),
    query: z.array(z.tuple([z.string(), z.string()])).max(EXECUTE_REQUEST_BOUNDS.queryPairs),
    headers: z.array(z.tuple([headerName, headerValue])).max(EXECUTE_REQUEST_BOUNDS.headers),
    body: z.instanceof(Uint8Array),
    params: z.record(z.string(), z.string()).optional(),
    handler: z.string().max(200).optional(),
    kind: z.enum(['api', 'ui-proxy']),
  }),
  limits: limitOverridesSchema.optional(),
  config: z.record(z.string(), z.unknown()),
  grants: z.array(z.enum(CAPABILITY_IDS as [CapabilityId, ...CapabilityId[]])),
  egress: z.array(z.string().max(300)).max(200),
  secretEnvelope: secretEnvelopeSchema.optional(),
  secretsVersion: z.number().int().nonnegative().optional(),
  instancePolicy: z.enum(['fresh', 'reuse']).optional(),
});

/** Checks an execute request; throws `INVALID_REQUEST` naming the first bad field. */
export function parseExecuteRequest(input: unknown): ExecuteRequest {
  const parsed = executeRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RunnerError(
      'INVALID_REQUEST',
      `execute request ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'is malformed'}`,
    );
  }
  return parsed.data as ExecuteRequest;
}

/**
 * Execute requests known to satisfy {@link executeRequestSchema}: the gateway built them from
 * parts it checked, and `runner.execute` takes them without parsing them again. Only code in
 * this package can add to the set (it is not exported from the package's index).
 */
const checkedRequests = new WeakSet<object>();

/** Records that `request` satisfies the schema; the caller must have made sure it does. */
export function markChecked(request: ExecuteRequest): ExecuteRequest {
  checkedRequests.add(request);
  return request;
}

/** Whether this package built `input` and checked it ({@link markChecked}). */
export function isChecked(input: unknown): input is ExecuteRequest {
  return typeof input === 'object' && input !== null && checkedRequests.has(input);
}

/** Parses `input` unless this package built and checked it. */
export function parseUnlessChecked(input: unknown): ExecuteRequest {
  return isChecked(input) ? input : parseExecuteRequest(input);
}
