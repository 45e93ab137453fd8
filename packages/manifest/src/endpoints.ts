import { parseRoute, type RouteSegment } from './internal/paths.js';
import type { Endpoint, Manifest } from './types.js';

/** The endpoint a request matched and the parameters it captured. */
export interface EndpointMatch {
  /** The declared endpoint (for a `HEAD` request, possibly the `GET` endpoint). */
  readonly endpoint: Endpoint;
  /** Decoded `:param` values by name, and the rest of the path under `*` for a wildcard. */
  readonly params: Readonly<Record<string, string>>;
}

/** Per-segment ranks: a static segment beats a parameter, which beats the wildcard. */
const RANK = { static: 2, param: 1, wildcard: 0 } as const;

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Request path segments, decoded; undefined when the path cannot match any endpoint. */
function requestSegments(path: string): string[] | undefined {
  const cut = path.search(/[?#]/);
  let clean = cut === -1 ? path : path.slice(0, cut);
  if (clean === '') clean = '/';
  if (!clean.startsWith('/')) return undefined;
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  if (clean === '/') return [];
  const segments: string[] = [];
  for (const raw of clean.slice(1).split('/')) {
    const segment = decode(raw);
    if (raw === '' || segment === undefined || segment === '.' || segment === '..')
      return undefined;
    segments.push(segment);
  }
  return segments;
}

/** The captured params and rank of `route` against `segments`, or undefined. */
function matchRoute(
  route: readonly RouteSegment[],
  segments: readonly string[],
): { params: [string, string][]; ranks: number[] } | undefined {
  const params: [string, string][] = [];
  const ranks: number[] = [];
  for (const [index, part] of route.entries()) {
    if (part.kind === 'wildcard') {
      params.push(['*', segments.slice(index).join('/')]);
      ranks.push(RANK.wildcard);
      return { params, ranks };
    }
    const segment = segments[index];
    if (segment === undefined) return undefined;
    if (part.kind === 'static') {
      if (segment !== part.value) return undefined;
    } else {
      params.push([part.name, segment]);
    }
    ranks.push(RANK[part.kind]);
  }
  return route.length === segments.length ? { params, ranks } : undefined;
}

/**
 * Positive when rank list `a` is more specific than `b`, compared segment by segment. When one
 * list is a prefix of the other, the longer one ends in a `*` that matched nothing, and the
 * exact route (`/files` over `/files/*`) wins.
 */
function compareRanks(a: readonly number[], b: readonly number[]): number {
  const exactEnd = RANK.static + 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? exactEnd) - (b[i] ?? exactEnd);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Parsed routes per endpoint object; the path is kept so an edited endpoint is re-parsed. */
const routeCache = new WeakMap<Endpoint, { path: string; route: RouteSegment[] }>();

function routeOf(endpoint: Endpoint): RouteSegment[] {
  const cached = routeCache.get(endpoint);
  if (cached !== undefined && cached.path === endpoint.path) return cached.route;
  const route = parseRoute(endpoint.path);
  routeCache.set(endpoint, { path: endpoint.path, route });
  return route;
}

function bestMatch(
  endpoints: readonly Endpoint[],
  method: string,
  segments: readonly string[],
): EndpointMatch | null {
  let best: { match: EndpointMatch; ranks: number[] } | undefined;
  for (const endpoint of endpoints) {
    if (endpoint.method !== method) continue;
    const matched = matchRoute(routeOf(endpoint), segments);
    if (matched === undefined) continue;
    if (best === undefined || compareRanks(matched.ranks, best.ranks) > 0) {
      best = {
        match: { endpoint, params: Object.fromEntries(matched.params) },
        ranks: matched.ranks,
      };
    }
  }
  return best?.match ?? null;
}

/**
 * Finds the declared endpoint for a request, or null when the manifest declares none (the
 * gateway answers 404).
 *
 * Segments match exactly (after URL-decoding); `:name` captures one decoded segment; a final
 * `*` captures the rest of the path (possibly empty) as `params['*']`. A trailing slash in
 * the request is ignored, a query string is ignored, and `HEAD` falls back to a `GET`
 * endpoint. When several endpoints match, the one with a static segment where the others
 * have a parameter (or a parameter where they have `*`), earliest in the path, wins.
 * Paths with empty, `.` or `..` segments or malformed percent-encoding never match.
 *
 * @example
 * ```ts
 * const match = matchEndpoint(manifest, 'GET', '/items/a%20b');
 * // { endpoint: { method: 'GET', path: '/items/:id', ... }, params: { id: 'a b' } }
 * ```
 */
export function matchEndpoint(
  manifest: Pick<Manifest, 'api'>,
  method: string,
  path: string,
): EndpointMatch | null {
  const segments = requestSegments(path);
  if (segments === undefined) return null;
  const upper = method.toUpperCase();
  const endpoints = manifest.api.endpoints;
  const match = bestMatch(endpoints, upper, segments);
  if (match !== null || upper !== 'HEAD') return match;
  return bestMatch(endpoints, 'GET', segments);
}
