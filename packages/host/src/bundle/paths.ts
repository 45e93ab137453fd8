import { BundleError } from './errors.js';

/** Where the per-file digest index lives inside a bundle; the `.alga/` folder is reserved. */
export const BUNDLE_INDEX_PATH = '.alga/index.json';

const RESERVED_PREFIX = '.alga/';
const MAX_PATH_BYTES = 1024;
const MAX_SEGMENT_BYTES = 255;
const encoder = new TextEncoder();

/**
 * Characters no bundle path may hold: C0 controls and DEL (terminal and header injection),
 * backslash (a separator on Windows), colon (drive letters, NTFS streams) and U+FFFD
 * (what an undecodable UTF-8 name turns into, so two different raw names could collide).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const FORBIDDEN = /[\u0000-\u001f\u007f\\:\ufffd]/u;

/**
 * Throws `UNSAFE_PATH` unless `path` is a relative POSIX path that extracts inside any
 * folder on any OS: no leading `/`, no empty, `.` or `..` segment, NFC-normalised so macOS
 * and Linux agree on its bytes, and not in the reserved `.alga/` folder.
 */
export function assertSafePath(path: string, where: string): void {
  const fail = (why: string): never => {
    throw new BundleError('UNSAFE_PATH', `${where}: path ${JSON.stringify(path)} ${why}.`, {
      path,
    });
  };
  if (path.length === 0) fail('is empty');
  if (FORBIDDEN.test(path)) {
    fail('holds a control character, backslash, colon or undecodable byte');
  }
  if (path.startsWith('/')) fail('is absolute; bundle paths are relative to the bundle root');
  if (encoder.encode(path).byteLength > MAX_PATH_BYTES)
    fail(`is longer than ${MAX_PATH_BYTES} bytes`);
  if (path.normalize('NFC') !== path) fail('is not in Unicode NFC form');
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      fail('has an empty, "." or ".." segment; it could escape the bundle root');
    }
    if (encoder.encode(segment).byteLength > MAX_SEGMENT_BYTES) {
      fail(`has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  if (path.startsWith(RESERVED_PREFIX)) fail('is in the reserved ".alga/" folder');
}

/** Orders paths by their UTF-8 bytes, the order the content hash and the archive use. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Tracks the paths of one bundle and throws `DUPLICATE_PATH` for a repeat. Paths are
 * compared case-insensitively because a case-insensitive filesystem (macOS, Windows)
 * would extract `UI/a.js` over `ui/a.js`; a file may not also be used as a folder.
 */
export class PathSet {
  readonly #files = new Set<string>();
  readonly #folders = new Set<string>();

  /** Records a regular file's path. */
  addFile(path: string, where: string): void {
    const key = path.toLowerCase();
    if (this.#files.has(key) || this.#folders.has(key)) {
      throw new BundleError(
        'DUPLICATE_PATH',
        `${where}: path ${JSON.stringify(path)} appears twice (paths are compared case-insensitively, and a file may not share a folder's path).`,
        { path },
      );
    }
    const segments = key.split('/');
    for (let i = 1; i < segments.length; i += 1) {
      const folder = segments.slice(0, i).join('/');
      if (this.#files.has(folder)) {
        throw new BundleError(
          'DUPLICATE_PATH',
          `${where}: path ${JSON.stringify(path)} uses ${JSON.stringify(folder)} as a folder, but that path is a file.`,
          { path },
        );
      }
      this.#folders.add(folder);
    }
    this.#files.add(key);
  }

  /** Records a folder path (a directory entry carries no content, only its name). */
  addFolder(path: string, where: string): void {
    const segments = path.toLowerCase().split('/');
    for (let i = 1; i <= segments.length; i += 1) {
      const folder = segments.slice(0, i).join('/');
      if (this.#files.has(folder)) {
        throw new BundleError(
          'DUPLICATE_PATH',
          `${where}: folder ${JSON.stringify(path)} uses ${JSON.stringify(folder)} as a folder, but that path is a file.`,
          { path },
        );
      }
      this.#folders.add(folder);
    }
  }
}
