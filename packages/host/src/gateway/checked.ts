import {
  EXECUTE_REQUEST_BOUNDS as BOUNDS,
  executeRequestSchema,
  markChecked,
} from '../runner/request';
import type { ExecuteRequest } from '../runner/types';

/** Installs whose fields (ids, grants, egress, config, secrets) once passed the runner's schema. */
const provenInstalls = new WeakSet<object>();

function isHeaderSafeId(value: string | undefined): boolean {
  return (
    value === undefined ||
    (value.length >= 1 && value.length <= BOUNDS.id && BOUNDS.headerValue.test(value))
  );
}

/**
 * `request` as the gateway hands it to the runner: marked as checked when it provably satisfies
 * `executeRequestSchema`, so the runner does not parse it a second time; otherwise unmarked,
 * and the runner's parse answers `INVALID_REQUEST` naming the field, as it always did.
 *
 * What an install fixes (its ids, grants, egress, config, secret envelope, and the gateway's own
 * limits) is parsed with the schema once per install object: the registry caches resolved
 * installs, so that is about once per install every few seconds. What varies per request is
 * bounded here. Its header names and values come from a WHATWG `Headers`, which holds only
 * valid ones; the identity's tenant and actor, which the embedder's resolver returns and the
 * gateway copies into headers, are checked; so are the counts and lengths the schema caps.
 */
export function checkedForRunner(
  request: ExecuteRequest,
  install: object,
  actorId: string | undefined,
): ExecuteRequest {
  const { context, http } = request;
  const wellFormed =
    isHeaderSafeId(context.tenantId) &&
    isHeaderSafeId(actorId) &&
    context.requestId.length >= 1 &&
    context.requestId.length <= BOUNDS.id &&
    BOUNDS.method.test(http.method) &&
    http.path.startsWith('/') &&
    http.path.length <= BOUNDS.path &&
    http.query.length <= BOUNDS.queryPairs &&
    http.headers.length <= BOUNDS.headers &&
    http.body instanceof Uint8Array;
  if (!wellFormed) return request;
  if (!provenInstalls.has(install)) {
    if (!executeRequestSchema.safeParse(request).success) return request;
    provenInstalls.add(install);
  }
  return markChecked(request);
}
