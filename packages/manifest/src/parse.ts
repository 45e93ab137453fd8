import { ManifestError, ManifestErrorCode } from './errors.js';
import { createErrorMap, type ManifestIssue, toManifestIssues } from './internal/issues.js';
import { manifestSchema } from './schema.js';
import type { Manifest } from './types.js';

/** Largest manifest text or byte input accepted by default: 256 KiB. */
export const DEFAULT_MAX_MANIFEST_BYTES = 256 * 1024;

/** Options of {@link parseManifest} and {@link safeParseManifest}. */
export interface ParseManifestOptions {
  /** Where the manifest came from, such as `com.acme.hello/manifest.json`; named in messages. */
  readonly source?: string;
  /** Byte limit for text or byte input (default 256 KiB). */
  readonly maxBytes?: number;
}

/** The result of {@link safeParseManifest}. */
export type SafeParseManifestResult =
  | { readonly success: true; readonly data: Manifest }
  | { readonly success: false; readonly error: ManifestError };

function where(options: ParseManifestOptions): string {
  return options.source === undefined ? 'manifest' : `manifest ${options.source}`;
}

function fromText(input: string | Uint8Array, options: ParseManifestOptions): unknown {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const size =
    typeof input === 'string' ? new TextEncoder().encode(input).byteLength : input.byteLength;
  if (size > maxBytes) {
    throw new ManifestError(
      ManifestErrorCode.TOO_LARGE,
      `The ${where(options)} is ${size} bytes, over the ${maxBytes}-byte limit: keep the manifest small and put assets in the bundle.`,
    );
  }
  let text: string;
  try {
    text =
      typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (cause) {
    throw new ManifestError(
      ManifestErrorCode.NOT_JSON,
      `The ${where(options)} is not UTF-8 text.`,
      { cause },
    );
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ManifestError(
      ManifestErrorCode.NOT_JSON,
      `The ${where(options)} is not valid JSON: ${detail}`,
      {
        cause,
      },
    );
  }
}

/**
 * Validates a manifest and applies its defaults, without throwing.
 *
 * `input` is the parsed JSON value, or the manifest's text or UTF-8 bytes.
 *
 * @example
 * ```ts
 * const result = safeParseManifest(await readFile('manifest.json'));
 * if (!result.success) console.error(result.error.message);
 * ```
 */
export function safeParseManifest(
  input: unknown,
  options: ParseManifestOptions = {},
): SafeParseManifestResult {
  let value = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      value = fromText(input, options);
    } catch (error) {
      if (error instanceof ManifestError) return { success: false, error };
      throw error;
    }
  }
  const knownKeys = new Map<string, readonly string[]>();
  const result = manifestSchema.safeParse(value, { error: createErrorMap(knownKeys) });
  if (result.success) return { success: true, data: result.data };
  const issues: ManifestIssue[] = toManifestIssues(result.error.issues, knownKeys, value);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return {
    success: false,
    error: new ManifestError(ManifestErrorCode.INVALID, `Invalid ${where(options)} (${count}):`, {
      issues,
    }),
  };
}

/**
 * Validates a manifest and applies its defaults (`entry`, `capabilities`, `settings`, ...).
 *
 * `input` is the parsed JSON value, or the manifest's text or UTF-8 bytes. Throws a
 * {@link ManifestError} whose `issues` name every problem with its path, such as
 * `api.endpoints[2].path`, and whose message lists them one per line.
 *
 * @example
 * ```ts
 * import { parseManifest } from '@alga/manifest';
 *
 * const manifest = parseManifest({
 *   name: 'com.example.hello',
 *   publisher: 'example',
 *   version: '1.0.0',
 *   runtime: 'wasm-js@1',
 *   capabilities: ['cap:log.emit'],
 *   api: { endpoints: [{ method: 'GET', path: '/items/:id', handler: 'getItem' }] },
 * });
 * manifest.entry; // 'dist/component.wasm'
 * ```
 */
export function parseManifest(input: unknown, options: ParseManifestOptions = {}): Manifest {
  const result = safeParseManifest(input, options);
  if (!result.success) throw result.error;
  return result.data;
}
