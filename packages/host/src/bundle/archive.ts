import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import tar from 'tar-stream';
import { concatBytes } from '../bytes.js';
import { BundleError } from './errors.js';
import { type BundleLimits, INFLATE_FLOOR_BYTES, maxArchiveBytes } from './limits.js';
import { assertSafePath, BUNDLE_INDEX_PATH, PathSet } from './paths.js';

const gzipAsync = promisify(gzip);
const EPOCH = new Date(0);
/**
 * Bytes handed to the tar parser at a time. zlib's default 16 KiB output chunks made reading a
 * 12 MB component ten times slower (one async hop per chunk); a bomb overshoots its cap by at
 * most one chunk.
 */
const CHUNK_BYTES = 512 * 1024;

/** True when `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Writes the canonical tar: one ustar entry per file in the order given, every header
 * with mtime 0, uid/gid 0, empty owner names and mode 0644, no folder entries. Names that
 * do not fit ustar (over 100/155 bytes, or not ASCII) get the pax `path` record
 * tar-stream writes, which is itself deterministic.
 */
export async function writeArchive(
  entries: ReadonlyArray<readonly [string, Uint8Array]>,
): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const [name, bytes] of entries) {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name,
          size: body.byteLength,
          mode: 0o644,
          mtime: EPOCH,
          uid: 0,
          gid: 0,
          uname: '',
          gname: '',
          type: 'file',
        },
        body,
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }
  pack.finalize();
  await collected;
  return concatBytes(chunks);
}

/** Gzips a tar for transport (node:zlib, default level). */
export async function gzipArchive(archive: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await gzipAsync(archive));
}

/**
 * The plain tar inside a bundle: gzip undone under the same caps and with the same errors as
 * reading it (`DECOMPRESSION_BOMB`, `TOO_LARGE`, `MALFORMED`); a plain tar is returned as it is.
 */
export async function inflateArchive(bytes: Uint8Array, limits: BundleLimits): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  for await (const chunk of archiveSource(bytes, limits)) chunks.push(chunk);
  return concatBytes(chunks);
}

/** Yields the inflated bytes of a gzip stream, stopping with `DECOMPRESSION_BOMB` past `cap`. */
async function* inflate(bytes: Uint8Array, cap: number, why: string): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  gunzip.end(bytes);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > cap) {
        throw new BundleError(
          'DECOMPRESSION_BOMB',
          `The bundle's gzip stream inflates past ${cap} bytes (${why}); it was rejected before being unpacked.`,
        );
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(
      'MALFORMED',
      `The bundle is not a valid gzip stream: ${describe(error)}.`,
      {
        cause: error,
      },
    );
  }
}

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_BYTES) {
    yield bytes.subarray(offset, offset + CHUNK_BYTES);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function waitForDrainOrClose(stream: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Where the archive's bytes come from: gzip inflation under a cap, or the raw tar. */
function archiveSource(
  bytes: Uint8Array,
  limits: BundleLimits,
): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  const tarCap = maxArchiveBytes(limits);
  if (!isGzip(bytes)) {
    if (bytes.byteLength > tarCap) {
      throw new BundleError(
        'TOO_LARGE',
        `The bundle is ${bytes.byteLength} bytes, over the ${tarCap}-byte archive limit derived from maxTotalBytes ${limits.maxTotalBytes} and maxFiles ${limits.maxFiles}.`,
      );
    }
    return slices(bytes);
  }
  if (bytes.byteLength > tarCap) {
    throw new BundleError(
      'TOO_LARGE',
      `The compressed bundle is ${bytes.byteLength} bytes, over the ${tarCap}-byte archive limit derived from maxTotalBytes ${limits.maxTotalBytes} and maxFiles ${limits.maxFiles}.`,
    );
  }
  const ratioCap = Math.max(INFLATE_FLOOR_BYTES, limits.maxCompressionRatio * bytes.byteLength);
  return ratioCap < tarCap
    ? inflate(
        bytes,
        ratioCap,
        `${limits.maxCompressionRatio}x its ${bytes.byteLength} compressed bytes, maxCompressionRatio`,
      )
    : inflate(bytes, tarCap, 'the largest archive maxTotalBytes and maxFiles allow');
}

/** Options of {@link readArchive}. */
export interface ReadArchiveOptions {
  /**
   * Return the files of a plain tar as views of `bytes` instead of copies. Only for bytes that
   * nothing will write to afterwards (a store's own fresh read): a write would change files
   * already checked. Saves a copy of the bundle per load, a fresh buffer whose pages fault in.
   */
  readonly views?: boolean;
}

/** `chunks` (an entry's content as tar-stream handed it out) as one view of `source`, if they are one. */
function viewOf(chunks: readonly Uint8Array[], source: Uint8Array, size: number) {
  const [first] = chunks;
  if (first === undefined || first.buffer !== source.buffer) return undefined;
  let end = first.byteOffset;
  for (const chunk of chunks) {
    if (chunk.buffer !== source.buffer || chunk.byteOffset !== end) return undefined;
    end += chunk.byteLength;
  }
  const start = first.byteOffset - source.byteOffset;
  if (end - first.byteOffset !== size || start < 0 || start + size > source.byteLength) {
    return undefined;
  }
  return source.subarray(start, start + size);
}

async function entryContent(
  entry: AsyncIterable<unknown>,
  size: number,
  source: Uint8Array | undefined,
): Promise<Uint8Array> {
  if (source !== undefined) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    return viewOf(chunks, source, size) ?? concatBytes(chunks);
  }
  const body = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of entry) {
    body.set(chunk as Buffer, filled);
    filled += (chunk as Buffer).byteLength;
  }
  return body;
}

/**
 * Reads a bundle archive (gzip or plain tar) into memory, entry by entry, refusing every
 * hostile construct as soon as its header is seen: links, device files, unsafe or
 * duplicate paths, over-limit sizes and counts, and inflation past the caps. Nothing is
 * written anywhere. Returns the regular files, the index (`.alga/index.json`) among them.
 */
export async function readArchive(
  bytes: Uint8Array,
  limits: BundleLimits,
  options: ReadArchiveOptions = {},
): Promise<Map<string, Uint8Array>> {
  const source = archiveSource(bytes, limits);
  // Inflated chunks are new buffers: only a plain tar's entries can be views of `bytes`.
  const viewsOf = options.views === true && !isGzip(bytes) ? bytes : undefined;
  const extract = tar.extract();
  const feeding = (async () => {
    try {
      for await (const chunk of source) {
        if (extract.destroyed) return;
        if (!extract.write(chunk)) await waitForDrainOrClose(extract);
      }
      extract.end(null);
    } catch (error) {
      extract.destroy(
        error instanceof Error
          ? error
          : new BundleError('MALFORMED', `The bundle could not be read: ${String(error)}.`),
      );
    }
  })();

  const files = new Map<string, Uint8Array>();
  const paths = new PathSet();
  let entries = 0;
  let total = 0;
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const name = header.name;
      const type = header.type ?? null;
      const where = `bundle entry ${JSON.stringify(name)}`;
      if (type === 'symlink' || type === 'link') {
        throw new BundleError(
          'LINK_NOT_ALLOWED',
          `${where} is a ${type === 'link' ? 'hard' : 'symbolic'} link (to ${JSON.stringify(header.linkname ?? '')}); bundles hold regular files only.`,
          { path: name },
        );
      }
      if (type !== 'file' && type !== 'directory') {
        throw new BundleError(
          'SPECIAL_FILE',
          `${where} is a ${type ?? 'entry of unknown type'}; bundles hold regular files only.`,
          { path: name },
        );
      }
      if (type === 'directory') {
        // A folder entry has no content; tar-stream never ends its body stream, so it is not read.
        const folder = name.endsWith('/') ? name.slice(0, -1) : name;
        assertSafePath(folder, 'bundle folder entry');
        paths.addFolder(folder, 'bundle');
      } else if (name === BUNDLE_INDEX_PATH) {
        if (files.has(name)) {
          throw new BundleError('DUPLICATE_PATH', `${where} appears twice.`, { path: name });
        }
      } else {
        assertSafePath(name, 'bundle entry');
        paths.addFile(name, 'bundle');
      }
      if (name !== BUNDLE_INDEX_PATH) {
        entries += 1;
        if (entries > limits.maxFiles) {
          throw new BundleError(
            'TOO_MANY_FILES',
            `The bundle has more than ${limits.maxFiles} entries (limit maxFiles).`,
            { path: name },
          );
        }
      }
      if (type === 'directory') continue;
      const size = header.size ?? 0;
      if (size > limits.maxFileBytes) {
        throw new BundleError(
          'TOO_LARGE',
          `${where} is ${size} bytes, over the ${limits.maxFileBytes}-byte per-file limit (maxFileBytes).`,
          { path: name },
        );
      }
      total += size;
      if (total > limits.maxTotalBytes) {
        throw new BundleError(
          'TOO_LARGE',
          `The bundle's files add up to more than ${limits.maxTotalBytes} bytes (maxTotalBytes), passed at ${JSON.stringify(name)}.`,
          { path: name },
        );
      }
      files.set(name, await entryContent(entry, size, viewsOf));
    }
  } catch (error) {
    extract.destroy(error instanceof Error ? error : null);
    await feeding;
    if (error instanceof BundleError) throw error;
    throw new BundleError(
      'MALFORMED',
      `The bundle is not a valid tar archive: ${describe(error)}.`,
      {
        cause: error,
      },
    );
  }
  await feeding;
  return files;
}
