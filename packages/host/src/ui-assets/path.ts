import { hasControlCharacter } from '../gateway/http';

/**
 * The bundle-relative path a raw (percent-encoded) asset path names, or `undefined` when it
 * is anything but a plain confined path. Each segment is decoded exactly once; refused are
 * malformed encoding, empty, `.` and `..` segments, encoded slashes, backslashes, NUL and
 * other control characters, a `%` left after decoding (double encoding), and dotfiles
 * unless the whole path is in `dotfiles`.
 */
export function confineAssetPath(
  rawSegments: readonly string[],
  dotfiles: ReadonlySet<string>,
): string | undefined {
  if (rawSegments.length === 0) return undefined;
  const decoded: string[] = [];
  let hasDotfile = false;
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment === '.' || segment === '..') return undefined;
    if (/[/\\%]/.test(segment) || hasControlCharacter(segment)) return undefined;
    if (segment.startsWith('.')) hasDotfile = true;
    decoded.push(segment);
  }
  const path = decoded.join('/');
  if (hasDotfile && !dotfiles.has(path)) return undefined;
  return path;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  wasm: 'application/wasm',
  txt: 'text/plain; charset=utf-8',
};

/** The content type served for `path`, by extension; `application/octet-stream` when unknown. */
export function contentTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return CONTENT_TYPES[name.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** True when an `if-none-match` value names `etag` (weak comparison, `*` matches anything). */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
