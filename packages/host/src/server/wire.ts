import { CAPABILITY_IDS, type CapabilityId } from '@alga/manifest';
import { z } from 'zod';
import { isContentHash } from '../bundle/hash';
import { RunnerErrorCode } from '../runner/errors';
import type { ExecuteRequest, ExecuteResponse, RunnerStats } from '../runner/types';
import { secretEnvelopeSchema } from '../secrets/sealer';

/**
 * The JSON wire form of the runner service (`POST /v1/execute`). Bodies travel as base64
 * (`bodyB64`) so the whole exchange is one JSON document both sides validate with zod.
 */
const contentHashSchema = z
  .string()
  .refine(isContentHash, 'must be sha256: and 64 lower-case hex digits');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const pairs = z
  .array(z.tuple([z.string(), z.string()]).readonly())
  .max(1000)
  .readonly();

const limitsSchema = z
  .object({
    timeoutMs: z.number().int().positive(),
    memoryBytes: z.number().int().positive(),
    maxRequestBytes: z.number().int().positive(),
    maxResponseBytes: z.number().int().positive(),
    maxLogBytes: z.number().int().positive(),
    maxConcurrencyPerTenant: z.number().int().positive(),
    maxConcurrencyPerExtension: z.number().int().positive(),
    maxQueuedPerKey: z.number().int().nonnegative(),
    maxRequestsPerInstance: z.number().int().positive(),
  })
  .partial()
  .strict();

const executeRequestSchema = z
  .object({
    context: z
      .object({
        requestId: z.string().min(1).max(256),
        tenantId: z.string().min(1).max(256),
        extensionId: z.string().min(1).max(256),
        installId: z.string().min(1).max(256),
        version: z.string().min(1).max(256),
        contentHash: contentHashSchema,
      })
      .strict(),
    http: z
      .object({
        method: z.string().regex(/^[A-Z]{1,16}$/),
        path: z.string().startsWith('/').max(8192),
        query: pairs,
        headers: pairs,
        bodyB64: base64,
        params: z.record(z.string(), z.string()).optional(),
        handler: z.string().max(256).optional(),
        kind: z.enum(['api', 'ui-proxy']),
      })
      .strict(),
    limits: limitsSchema.optional(),
    config: z.record(z.string(), z.unknown()),
    grants: z.array(z.enum(CAPABILITY_IDS as [CapabilityId, ...CapabilityId[]])).readonly(),
    egress: z.array(z.string().max(512)).max(1000).readonly(),
    secretEnvelope: secretEnvelopeSchema.optional(),
    secretsVersion: z.number().int().nonnegative().optional(),
    instancePolicy: z.enum(['fresh', 'reuse']).optional(),
  })
  .strict();

const statsSchema = z.object({
  mode: z.enum(['worker', 'process']),
  pool: z.object({
    size: z.number().int().nonnegative(),
    busy: z.number().int().nonnegative(),
    replaced: z.number().int().nonnegative(),
  }),
  queueDepth: z.number().int().nonnegative(),
  programs: z.number().int().nonnegative(),
  invocations: z.object({
    total: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
});

/** Parses the service's stats snapshot (`GET /v1/stats`, and `stats` on every execute answer). */
export function decodeStats(json: unknown): RunnerStats {
  return statsSchema.parse(json);
}

const executeResponseSchema = z
  .object({
    status: z.number().int().min(100).max(599),
    headers: pairs,
    bodyB64: base64,
    error: z
      .object({
        code: z.enum(Object.values(RunnerErrorCode) as [RunnerErrorCode, ...RunnerErrorCode[]]),
        message: z.string().max(4096),
      })
      .optional(),
    stats: statsSchema.optional(),
  })
  .strict();

/** The wire JSON of an execute request. */
type WireExecuteRequest = z.input<typeof executeRequestSchema>;
/** The wire JSON of an execute response. */
type WireExecuteResponse = z.input<typeof executeResponseSchema>;

const toB64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** An {@link ExecuteRequest} as wire JSON. */
export function encodeExecuteRequest(request: ExecuteRequest): WireExecuteRequest {
  const { body, ...http } = request.http;
  return { ...request, http: { ...http, bodyB64: toB64(body) } };
}

/** Wire JSON back to an {@link ExecuteRequest}; throws the zod error when malformed. */
export function decodeExecuteRequest(json: unknown): ExecuteRequest {
  const parsed = executeRequestSchema.parse(json);
  const { bodyB64, ...http } = parsed.http;
  // Zod types optional fields as `T | undefined`; parsed JSON never holds `undefined`, so
  // every optional key is either absent or set, which is what ExecuteRequest means.
  return { ...parsed, http: { ...http, body: fromB64(bodyB64) } } as ExecuteRequest;
}

/**
 * An {@link ExecuteResponse} as wire JSON, with the service runner's `stats` riding along so
 * the client's `stats()` stays current without a call of its own.
 */
export function encodeExecuteResponse(
  response: ExecuteResponse,
  stats: RunnerStats,
): WireExecuteResponse {
  return {
    stats,
    status: response.status,
    headers: response.headers.map(([k, v]) => [k, v]),
    bodyB64: toB64(response.body),
    ...(response.error === undefined
      ? {}
      : { error: { code: response.error.code, message: response.error.message } }),
  };
}

/** Wire JSON back to an {@link ExecuteResponse} and the service's stats; throws the zod error when malformed. */
export function decodeExecuteResponse(json: unknown): {
  response: ExecuteResponse;
  stats: RunnerStats | undefined;
} {
  const { bodyB64, error, stats, ...rest } = executeResponseSchema.parse(json);
  return {
    response: { ...rest, body: fromB64(bodyB64), ...(error === undefined ? {} : { error }) },
    stats,
  };
}

const warmSchema = z
  .object({
    contentHash: contentHashSchema,
    extensionId: z.string().min(1).max(214).optional(),
    version: z.string().min(1).max(64).optional(),
  })
  .strict();

/** The body of `POST /v1/warm`: a content hash, and whose it is when known. */
export interface WarmRequest {
  readonly contentHash: string;
  readonly hint?: { readonly extensionId: string; readonly version: string };
}

/** Parses the body of `POST /v1/warm`. */
export function decodeWarmRequest(json: unknown): WarmRequest {
  const { contentHash, extensionId, version } = warmSchema.parse(json);
  return extensionId === undefined || version === undefined
    ? { contentHash }
    : { contentHash, hint: { extensionId, version } };
}
