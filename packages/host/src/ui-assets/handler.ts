import { LRUCache } from 'lru-cache';
import { computeDigest, isContentHash } from '../bundle/hash';
import { manifestPaths, readBundle } from '../bundle/read';
import { parseBundleSignature } from '../bundle/signature';
import { verifyBundle } from '../bundle/verify';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import {
  answerError,
  asGatewayError,
  baseHeaders,
  type GatewayLogger,
  requestIdOf,
} from '../gateway/http';
import { takeExtensionId } from '../gateway/route';
import type { VersionRecord } from '../registry/types';
import type { BundleStore } from '../store/types';
import type { TrustStore } from '../trust/trust';
import { confineAssetPath, contentTypeOf, etagMatches } from './path';

/** The route prefix of UI assets. */
export const UI_ASSET_PREFIX = '/ext-ui/';

/** Where the asset server reads an extension's published versions; any `RegistryStore` fits. */
export interface UiAssetVersionStore {
  listVersions(extensionId: string): Promise<readonly VersionRecord[]>;
}

/** Options of {@link createUiAssetServer}. */
export interface UiAssetServerOptions {
  /** Tells which content hashes are published versions of an extension (the registry store). */
  store: UiAssetVersionStore;
  /** Where bundles are read from, by content hash. */
  bundles: BundleStore;
  /**
   * Trust bundle to verify each bundle's signature with before its first file is served
   * (defence in depth: the registry verified it on publish). Strongly recommended.
   */
  trust?: TrustStore;
  /**
   * Origins allowed to frame the UI (CSP `frame-ancestors`): the host application's origin(s).
   * Default `'self'`, right when assets and app share an origin.
   */
  frameAncestors?: readonly string[];
  /** Dotfile paths (relative to the UI root, e.g. `.well-known/security.txt`) that may be served. */
  dotfiles?: readonly string[];
  /** Bytes of UI files kept in memory across bundles (default 64 MiB, least recently used out). */
  cacheBytes?: number;
  /** Where integrity failures are logged. */
  logger?: GatewayLogger;
}

/** Serves `GET /ext-ui/{extensionId}/{contentHash}/{path}`. */
export interface UiAssetServer {
  /** Answers one request; anything but a servable asset is a JSON 404. Never rejects. */
  fetch(request: Request): Promise<Response>;
}

interface UiFile {
  readonly bytes: Uint8Array;
  /** `sha256:<hex>` from the bundle index. */
  readonly digest: string;
  verified: boolean;
}

interface UiFiles {
  readonly files: ReadonlyMap<string, UiFile>;
  readonly size: number;
}

/**
 * The CSP every asset is served with. Scripts, styles, fonts and images only from the asset
 * origin (inline styles allowed: most UI libraries inject them), no network access from the
 * iframe at all (`connect-src 'none'`: it talks to the host only by postMessage), no plugins,
 * no `<base>` or form posts, and framing only by the host app.
 */
export function uiContentSecurityPolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'none'",
    "object-src 'none'",
    `frame-ancestors ${frameAncestors.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The URL of a UI asset under `publicBase` (`RUNNER_PUBLIC_BASE`, which may be another origin
 * than the host app's), for an iframe `src`: the server-side twin of `buildExtUiSrc` in
 * `@alga/iframe-sdk` (same form), kept here because the host does not depend on the browser SDK.
 *
 * @example
 * ```ts
 * extUiUrl('https://ext.example.com', 'com.example.hello', install.contentHash, 'index.html');
 * // https://ext.example.com/ext-ui/com.example.hello/sha256:…/index.html
 * ```
 */
export function extUiUrl(
  publicBase: string,
  extensionId: string,
  contentHash: string,
  path = 'index.html',
): string {
  const base = publicBase.replace(/\/+$/, '');
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${base}${UI_ASSET_PREFIX}${encodeURIComponent(extensionId)}/${contentHash}/${file}`;
}

/**
 * Creates the UI asset server. A file is served only when the content hash is a published
 * (not invalid) version of that extension, the bundle read from the store hashes to it (and
 * its signature verifies, given `trust`), and the file's bytes match the bundle's per-file
 * digest. Answers carry `cache-control: public, max-age=31536000, immutable`, an `etag` of
 * the file digest (with 304 on `if-none-match`), a strict CSP and `nosniff`.
 *
 * @example
 * ```ts
 * const assets = createUiAssetServer({ store: registryStore, bundles, trust,
 *   frameAncestors: ['https://app.example.com'] });
 * app.get('/ext-ui/*', (c) => assets.fetch(c.req.raw));
 * ```
 */
export function createUiAssetServer(options: UiAssetServerOptions): UiAssetServer {
  const dotfiles = new Set(options.dotfiles ?? []);
  const csp = uiContentSecurityPolicy(options.frameAncestors ?? ["'self'"]);
  // Keyed by (extension, content hash): the URL's extension id is the caller's to choose, so a
  // hash loaded for one extension must never answer a request naming another.
  const cache = new LRUCache<string, UiFiles, { extensionId: string; contentHash: string }>({
    maxSize: options.cacheBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (entry) => Math.max(1, entry.size),
    fetchMethod: async (_key, _stale, { context }) =>
      load(context.extensionId, context.contentHash),
  });

  async function load(extensionId: string, contentHash: string): Promise<UiFiles> {
    const versions = await options.store.listVersions(extensionId);
    const version = versions.find((v) => v.contentHash === contentHash && v.state !== 'invalid');
    if (version === undefined) throw notFound();
    const bytes = await options.bundles.get(contentHash);
    if (bytes === undefined) throw notFound();
    const bundle =
      options.trust === undefined
        ? await readBundle(bytes)
        : await verifyBundle(bytes, parseBundleSignature(version.signature), options.trust);
    if (bundle.contentHash !== contentHash || bundle.manifest.name !== extensionId) {
      throw new GatewayError(
        GatewayErrorCode.INTEGRITY,
        'The stored bundle does not match the requested content hash.',
      );
    }
    const root = manifestPaths(bundle.manifest).uiDir?.replace(/\/+$/, '');
    const files = new Map<string, UiFile>();
    let size = 0;
    // Only a UI folder is served, never the bundle root (manifest, component).
    if (root !== undefined && root !== '') {
      const prefix = `${root}/`;
      for (const [path, content] of bundle.files) {
        if (!path.startsWith(prefix)) continue;
        const digest = bundle.digests.get(path);
        if (digest === undefined) continue;
        // A copy, so the cache never pins the whole bundle (component included) in memory.
        files.set(path.slice(prefix.length), { bytes: content.slice(), digest, verified: false });
        size += content.byteLength;
      }
    }
    return { files, size };
  }

  async function handle(request: Request, requestId: string): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') throw notFound();
    const pathname = new URL(request.url).pathname;
    if (!pathname.startsWith(UI_ASSET_PREFIX)) throw notFound();
    const segments = pathname.slice(UI_ASSET_PREFIX.length).split('/');
    const taken = (() => {
      try {
        return takeExtensionId(segments);
      } catch {
        return undefined;
      }
    })();
    if (taken === undefined) throw notFound();
    const hashSegment = segments[taken.used];
    const contentHash = hashSegment === undefined ? undefined : safeDecode(hashSegment);
    if (contentHash === undefined || !isContentHash(contentHash)) throw notFound();
    const path = confineAssetPath(segments.slice(taken.used + 1), dotfiles);
    if (path === undefined) throw notFound();

    const key = `${taken.id} ${contentHash}`;
    const bundle = await cache.fetch(key, { context: { extensionId: taken.id, contentHash } });
    const file = bundle?.files.get(path);
    if (file === undefined) throw notFound();
    if (!file.verified) {
      if (computeDigest(file.bytes) !== file.digest) {
        cache.delete(key);
        options.logger?.error(
          { requestId, extensionId: taken.id, contentHash, path },
          'UI asset failed its digest check',
        );
        throw new GatewayError(
          GatewayErrorCode.INTEGRITY,
          'The asset does not match its digest in the bundle and was not served.',
        );
      }
      file.verified = true;
    }
    const etag = `"${file.digest.replace(':', '-')}"`;
    const headers = baseHeaders(requestId);
    headers.set('etag', etag);
    headers.set('cache-control', 'public, max-age=31536000, immutable');
    headers.set('content-security-policy', csp);
    headers.set('referrer-policy', 'no-referrer');
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch !== null && etagMatches(ifNoneMatch, etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set('content-type', contentTypeOf(path));
    headers.set('content-length', String(file.bytes.byteLength));
    const body = request.method === 'HEAD' ? null : (file.bytes as Uint8Array<ArrayBuffer>);
    return new Response(body, { status: 200, headers });
  }

  return {
    async fetch(request) {
      const requestId = requestIdOf(request);
      try {
        return await handle(request, requestId);
      } catch (caught) {
        return answerError(unwrap(caught), requestId, options.logger, 'UI asset request');
      }
    },
  };
}

function notFound(): GatewayError {
  return new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such UI asset.');
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** lru-cache wraps fetchMethod failures; bundle errors about integrity become 502, the rest 404. */
function unwrap(caught: unknown): GatewayError {
  if (caught instanceof GatewayError) return caught;
  const code = (caught as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && INTEGRITY_CODES.has(code)) {
    return new GatewayError(
      GatewayErrorCode.INTEGRITY,
      'The extension bundle failed its integrity check; its assets are not served.',
      { cause: caught },
    );
  }
  return asGatewayError(caught);
}

const INTEGRITY_CODES = new Set([
  'HASH_MISMATCH',
  'SIGNATURE_INVALID',
  'SIGNATURE_MALFORMED',
  'UNTRUSTED_SIGNER',
  'KEY_REVOKED',
  'KEY_EXPIRED',
  'KEY_NOT_YET_VALID',
  'MALFORMED',
]);
