import type { TrustStore } from '../trust/trust.js';
import { BundleError } from './errors.js';
import { type BundleLimits, resolveLimits } from './limits.js';
import { checkManifestFiles, openArchive, parseManifestBytes, type ReadBundle } from './read.js';
import {
  type BundleSignature,
  type BundleSigner,
  type VerifySignatureOptions,
  verifySignature,
} from './signature.js';

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions extends VerifySignatureOptions {
  /** Limits for reading the bundle (default {@link DEFAULT_BUNDLE_LIMITS}). */
  readonly limits?: Partial<BundleLimits>;
}

/** A bundle whose signature, signer and content all checked out. */
export interface VerifiedBundle extends ReadBundle {
  /** Who signed it. */
  readonly signer: BundleSigner;
  /** The detached signature it was verified with. */
  readonly signature: BundleSignature;
  /** When it was signed. */
  readonly signedAt: Date;
}

/**
 * Verifies a bundle against its detached signature and a trust store, then reads it.
 * The cheap checks run first, on the signature alone (see `verifySignature`: trusted,
 * not revoked, valid ed25519, `signedAt` within the key's window and not in the future);
 * then the archive is read under `limits` and its content hash must equal the signed one
 * (`HASH_MISMATCH`); only then is the manifest parsed. Call it on publish, on install and
 * on every load.
 *
 * @example
 * ```ts
 * const trust = loadTrustBundle('/etc/alga/trust.json');
 * const signature = parseBundleSignature(await readFile('ext.algabundle.sig', 'utf8'));
 * const bundle = await verifyBundle(await readFile('ext.algabundle'), signature, trust);
 * console.log(bundle.signer.keyId, bundle.manifest.name, bundle.contentHash);
 * ```
 */
export async function verifyBundle(
  bytes: Uint8Array,
  signature: BundleSignature,
  trust: TrustStore,
  options: VerifyBundleOptions = {},
): Promise<VerifiedBundle> {
  const limits = resolveLimits(options.limits);
  const verified = await verifySignature(signature, trust, options);
  const opened = await openArchive(bytes, limits);
  if (opened.contentHash !== verified.signature.contentHash) {
    throw new BundleError(
      'HASH_MISMATCH',
      `The bundle's content hash is ${opened.contentHash}, but the signature is for ${verified.signature.contentHash}: the bundle was altered after signing, or this is another bundle's signature.`,
    );
  }
  const manifest = parseManifestBytes(opened.files.get('manifest.json'), 'The bundle');
  checkManifestFiles(manifest, opened.files, 'The bundle', '');
  return { manifest, ...opened, ...verified };
}
