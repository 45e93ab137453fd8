import { GatewayError, GatewayErrorCode } from './errors';

/** Which gateway route a request came in on. */
export type RouteKind = 'api' | 'ui-proxy';

/** Route prefixes of the gateway: API calls and iframe UI calls. */
export const ROUTE_PREFIXES: Readonly<Record<RouteKind, string>> = {
  api: '/api/ext/',
  'ui-proxy': '/api/ext-proxy/',
};

/** A request path split into the extension id and the path below it. */
export interface ExtensionRoute {
  kind: RouteKind;
  /** The manifest `name`: reverse-DNS (`com.example.hello`) or scoped (`@scope/name`). */
  extensionId: string;
  /** The path below the extension's prefix, starting with `/`, still percent-encoded. */
  path: string;
}

const EXTENSION_ID =
  /^(?:@[a-z0-9][a-z0-9._~-]*\/[a-z0-9][a-z0-9._~-]*|[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+)$/i;

/** True when `id` has the shape of a manifest `name` (reverse-DNS or `@scope/name`). */
export function isExtensionId(id: string): boolean {
  return id.length <= 214 && EXTENSION_ID.test(id);
}

/** Decodes one path segment, answering 400 for malformed percent-encoding. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new GatewayError(
      GatewayErrorCode.BAD_REQUEST,
      'The request path has malformed percent-encoding.',
      { cause },
    );
  }
}

/**
 * Splits the leading extension id off `segments` (raw path segments). A scoped id comes as
 * two segments (`@scope/name`) or as one with an encoded slash (`%40scope%2Fname`).
 * Returns the id and how many segments it used, or `undefined` when no valid id leads.
 */
export function takeExtensionId(
  segments: readonly string[],
): { id: string; used: number } | undefined {
  const first = segments[0];
  if (first === undefined || first === '') return undefined;
  const decoded = decodeSegment(first);
  if (decoded.startsWith('@') && !decoded.includes('/')) {
    const second = segments[1];
    if (second === undefined) return undefined;
    const id = `${decoded}/${decodeSegment(second)}`;
    return isExtensionId(id) ? { id, used: 2 } : undefined;
  }
  return isExtensionId(decoded) ? { id: decoded, used: 1 } : undefined;
}

/**
 * The gateway route `pathname` (a URL pathname, percent-encoded) names, or `undefined` when
 * it is not under `/api/ext/` or `/api/ext-proxy/` or names no valid extension id. Every
 * segment of the remaining path must decode (else 400), but stays encoded for matching.
 */
export function parseExtensionRoute(pathname: string): ExtensionRoute | undefined {
  for (const kind of ['api', 'ui-proxy'] as const) {
    const prefix = ROUTE_PREFIXES[kind];
    if (!pathname.startsWith(prefix)) continue;
    const segments = pathname.slice(prefix.length).split('/');
    const taken = takeExtensionId(segments);
    if (taken === undefined) return undefined;
    const rest = segments.slice(taken.used);
    for (const segment of rest) decodeSegment(segment);
    return { kind, extensionId: taken.id, path: `/${rest.join('/')}` };
  }
  return undefined;
}
