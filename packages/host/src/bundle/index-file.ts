import { z } from 'zod';
import { BundleError } from './errors.js';
import type { BundleFileDigest } from './hash.js';
import { BUNDLE_INDEX_PATH } from './paths.js';

/** The format id written in every bundle index this library produces. */
export const BUNDLE_FORMAT = 'alga-bundle/v1';

/** The bundle's index file (`.alga/index.json`): per-file digests and the content hash. */
export interface BundleIndex {
  /** Format id, `alga-bundle/v1`. */
  readonly format: typeof BUNDLE_FORMAT;
  /** Content hash of the files listed. */
  readonly contentHash: string;
  /** Every file of the bundle but the index itself, in canonical order. */
  readonly files: readonly BundleFileDigest[];
}

const indexSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  contentHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  files: z.array(
    z.strictObject({
      path: z.string().min(1),
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

/** The index document for `files` (already in canonical order) and their content hash. */
export function buildIndex(contentHash: string, files: readonly BundleFileDigest[]): BundleIndex {
  return {
    format: BUNDLE_FORMAT,
    contentHash,
    files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
  };
}

/** The exact bytes of an index: two-space JSON with a final newline, keys in schema order. */
export function serializeIndex(index: BundleIndex): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`);
}

/** Parses index bytes, throwing `UNSUPPORTED_FORMAT` for another format and `MALFORMED` otherwise. */
export function parseIndex(bytes: Uint8Array): BundleIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new BundleError('MALFORMED', `${BUNDLE_INDEX_PATH} is not valid UTF-8 JSON.`, {
      cause,
      path: BUNDLE_INDEX_PATH,
    });
  }
  if (typeof json === 'object' && json !== null && 'format' in json) {
    const format = (json as { format: unknown }).format;
    if (format !== BUNDLE_FORMAT) {
      throw new BundleError(
        'UNSUPPORTED_FORMAT',
        `${BUNDLE_INDEX_PATH} declares format ${JSON.stringify(format)}; this library reads ${BUNDLE_FORMAT}. Upgrade @alga/host or repack the bundle.`,
        { path: BUNDLE_INDEX_PATH },
      );
    }
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    throw new BundleError(
      'MALFORMED',
      `${BUNDLE_INDEX_PATH} is malformed at "${where}": ${issue?.message ?? 'unknown problem'}.`,
      { path: BUNDLE_INDEX_PATH },
    );
  }
  return parsed.data;
}
