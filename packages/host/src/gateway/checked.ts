import { executeRequestSchema, markChecked } from '../runner/request';
import type { ExecuteRequest } from '../runner/types';

/** Installs whose fields (ids, grants, egress, config, secrets) once passed the runner's schema. */
const provenInstalls = new WeakSet<object>();

const METHOD = /^[A-Z]{1,16}$/;
const NOT_IN_HEADER_VALUE = /[\r\n\0]/;
/** Bounds of `executeRequestSchema` that a request's own parts could exceed. */
const MAX_ID = 500;
const MAX_PATH = 8192;
const MAX_QUERY_PAIRS = 1000;
const MAX_HEADERS = 200;

function isHeaderSafeId(value: string | undefined): boolean {
  return (
    value === undefined ||
    (value.length >= 1 && value.length <= MAX_ID && !NOT_IN_HEADER_VALUE.test(value))
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
    context.requestId.length <= MAX_ID &&
    METHOD.test(http.method) &&
    http.path.startsWith('/') &&
    http.path.length <= MAX_PATH &&
    http.query.length <= MAX_QUERY_PAIRS &&
    http.headers.length <= MAX_HEADERS &&
    http.body instanceof Uint8Array;
  if (!wellFormed) return request;
  if (!provenInstalls.has(install)) {
    if (!executeRequestSchema.safeParse(request).success) return request;
    provenInstalls.add(install);
  }
  return markChecked(request);
}
