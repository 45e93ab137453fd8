/**
 * Path rules shared by the zod checks (which explain what is wrong) and the JSON Schema
 * patterns (which must accept and reject exactly the same strings).
 */

/** Characters allowed in one segment of a bundle path or route. */
const SEGMENT_CHARS = 'A-Za-z0-9._~@+-';
const SEGMENT_RE = new RegExp(`^[${SEGMENT_CHARS}]+$`);
/** Route parameter names are identifiers, so they are safe as object keys and in code. */
const PARAM_NAME = '[A-Za-z][A-Za-z0-9_]{0,63}';
const PARAM_RE = new RegExp(`^${PARAM_NAME}$`);

/** Longest bundle path or route, in characters. */
export const MAX_PATH_LENGTH = 255;

/** One path segment that is not `.` or `..`. */
const SAFE_SEGMENT = `(?!\\.\\.?(?:/|$))[${SEGMENT_CHARS}]+`;

/** JSON Schema pattern of a relative, normalised bundle path, optionally with given suffixes. */
export function bundlePathPattern(suffixes?: readonly string[]): string {
  const end =
    suffixes === undefined
      ? ''
      : `(?<=${suffixes.map((suffix) => suffix.replace(/\./g, '\\.')).join('|')})`;
  return `^${SAFE_SEGMENT}(?:/${SAFE_SEGMENT})*${end}$`;
}

/** JSON Schema pattern of an iframe route such as `/` or `/settings/advanced`. */
export const IFRAME_ROUTE_PATTERN = `^/(?:${SAFE_SEGMENT}(?:/${SAFE_SEGMENT})*)?$`;

/**
 * JSON Schema pattern of an endpoint path: static segments, `:param` segments, an optional
 * final `*`, and no parameter name twice (the negative look-ahead with a back-reference).
 */
export const ENDPOINT_PATH_PATTERN =
  `^(?!.*/:(${PARAM_NAME})/(?:.*/)?:\\1(?:/|$))` +
  `(?:/|(?:/(?:${SAFE_SEGMENT}|:${PARAM_NAME}))+(?:/\\*)?|/\\*)$`;

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return "must not contain empty segments ('//')";
  if (segment === '.' || segment === '..') return "must not contain '.' or '..' segments";
  if (!SEGMENT_RE.test(segment)) {
    return `segment '${segment.slice(0, 40)}' may contain only letters, digits and . _ ~ @ + -`;
  }
  return undefined;
}

/**
 * What is wrong with a path inside the bundle (`dist/component.wasm`, `ui/index.html`), or
 * undefined when it is relative, normalised and made of safe characters.
 */
export function bundlePathProblem(path: string, suffixes?: readonly string[]): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.includes('\\')) return "must use '/' as the separator, not '\\'";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) return 'must be a path inside the bundle, not a URL';
  if (path.startsWith('/')) return "must be relative to the bundle root (no leading '/')";
  if (path.endsWith('/')) return "must not end with '/'";
  for (const segment of path.split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) return problem;
  }
  if (suffixes !== undefined && !suffixes.some((suffix) => path.endsWith(suffix))) {
    const names =
      suffixes.length === 1
        ? suffixes[0]
        : `${suffixes.slice(0, -1).join(', ')} or ${suffixes.at(-1)}`;
    return `must name a ${names} file`;
  }
  return undefined;
}

/** What is wrong with an iframe route (`/`, `/tab`), or undefined when it is valid. */
export function iframeRouteProblem(route: string): string | undefined {
  if (!route.startsWith('/')) return "must be a route inside the extension's UI starting with '/'";
  if (route.includes('?') || route.includes('#')) {
    return 'must be a path only, without a query string or fragment';
  }
  if (route === '/') return undefined;
  if (route.endsWith('/')) return "must not end with '/'";
  for (const segment of route.slice(1).split('/')) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** One parsed segment of an endpoint path. */
export type RouteSegment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'wildcard' };

/** Splits a valid endpoint path into segments (`/` has none). */
export function parseRoute(path: string): RouteSegment[] {
  if (path === '/') return [];
  return path
    .slice(1)
    .split('/')
    .map((segment): RouteSegment => {
      if (segment === '*') return { kind: 'wildcard' };
      if (segment.startsWith(':')) return { kind: 'param', name: segment.slice(1) };
      return { kind: 'static', value: segment };
    });
}

/** What is wrong with an endpoint path (`/items/:id`, `/files/*`), or undefined. */
export function endpointPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return "must start with '/'";
  if (path.includes('?') || path.includes('#')) {
    return 'must be a path only, without a query string or fragment';
  }
  if (path === '/') return undefined;
  if (path.endsWith('/'))
    return "must not end with '/' (a trailing slash in a request still matches)";
  const segments = path.slice(1).split('/');
  const seen = new Set<string>();
  for (const [index, segment] of segments.entries()) {
    if (segment === '*') {
      if (index !== segments.length - 1) return "'*' is only allowed as the last segment";
      continue;
    }
    if (segment.includes('*')) return "'*' must be a whole segment, such as /files/*";
    if (segment.startsWith(':')) {
      const name = segment.slice(1);
      if (!PARAM_RE.test(name)) {
        return `parameter '${segment.slice(0, 40)}' must be ':' and a name of letters, digits and '_' starting with a letter`;
      }
      if (seen.has(name)) return `parameter ':${name}' appears more than once`;
      seen.add(name);
      continue;
    }
    const problem = segmentProblem(segment);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
