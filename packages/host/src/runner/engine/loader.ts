import { BundleError } from '../../bundle/errors';
import { parseBundleSignature } from '../../bundle/signature';
import { verifyBundle } from '../../bundle/verify';
import type { RegistryStore } from '../../registry/types';
import { ReadBuffers } from '../../store/read-buffers';
import type { BundleStore } from '../../store/types';
import type { TrustStore } from '../../trust/trust';
import { RunnerError } from '../errors';
import type { ComponentSource, LoadedComponent, LoadHint } from './engine';

/**
 * Finds the detached signature of a bundle (JSON, as published). The registry keeps it per
 * published version; see {@link signaturesFromRegistry}.
 */
export type SignatureSource = (contentHash: string, hint: LoadHint | undefined) => Promise<unknown>;

/** The signatures the registry recorded at publish time, looked up by (extension, version). */
export function signaturesFromRegistry(
  registry: Pick<RegistryStore, 'getVersion'>,
): SignatureSource {
  return async (contentHash, hint) => {
    if (hint === undefined) return undefined;
    const record = await registry.getVersion(hint.extensionId, hint.version);
    if (record === undefined || record.contentHash !== contentHash) return undefined;
    return record.signature;
  };
}

/** Options of {@link createComponentLoader}. */
export interface ComponentLoaderOptions {
  readonly store: Pick<BundleStore, 'get'>;
  readonly trust: TrustStore;
  readonly signatures: SignatureSource;
}

/**
 * The runner's load path: fetch the bundle by content hash, verify its signature, signer and
 * hash against the trust store (again: defence in depth after publish and install), check it
 * is the extension and version asked for, and return its component bytes.
 */
export function createComponentLoader(options: ComponentLoaderOptions): ComponentSource {
  const buffers = new ReadBuffers();
  return async (contentHash, hint) => {
    const lease = buffers.lease();
    try {
      return {
        ...(await load(options, contentHash, hint, lease.allocate)),
        release: lease.release,
      };
    } catch (error) {
      lease.release();
      throw error;
    }
  };
}

async function load(
  options: ComponentLoaderOptions,
  contentHash: string,
  hint: LoadHint | undefined,
  allocate: (byteLength: number) => Uint8Array<ArrayBuffer>,
): Promise<LoadedComponent> {
  const bytes = await options.store.get(contentHash, { allocate }).catch((error: unknown) => {
    if (error instanceof BundleError) {
      throw new RunnerError(
        'INTEGRITY',
        `bundle ${contentHash} failed its check in the store: ${error.code}`,
        {
          cause: error,
        },
      );
    }
    throw new RunnerError('NOT_FOUND', `bundle ${contentHash} could not be read from the store`, {
      cause: error,
    });
  });
  if (bytes === undefined) {
    throw new RunnerError(
      'NOT_FOUND',
      `bundle ${contentHash} is not in the bundle store; publish it again`,
    );
  }
  const raw = await options.signatures(contentHash, hint);
  if (raw === undefined || raw === null) {
    throw new RunnerError(
      'INTEGRITY',
      `no signature is known for bundle ${contentHash}; it is not run unsigned`,
    );
  }
  let verified: Awaited<ReturnType<typeof verifyBundle>>;
  try {
    verified = await verifyBundle(bytes, parseBundleSignature(raw), options.trust);
  } catch (error) {
    const code = error instanceof BundleError ? error.code : 'UNKNOWN';
    throw new RunnerError(
      'INTEGRITY',
      `bundle ${contentHash} failed verification on load (${code})`,
      {
        cause: error,
      },
    );
  }
  if (verified.contentHash !== contentHash) {
    throw new RunnerError(
      'INTEGRITY',
      `bundle stored as ${contentHash} hashes to ${verified.contentHash}`,
    );
  }
  if (
    hint !== undefined &&
    (verified.manifest.name !== hint.extensionId || verified.manifest.version !== hint.version)
  ) {
    throw new RunnerError(
      'INTEGRITY',
      `bundle ${contentHash} is ${verified.manifest.name}@${verified.manifest.version}, not ${hint.extensionId}@${hint.version}`,
    );
  }
  const component = verified.files.get(verified.manifest.entry);
  if (component === undefined) {
    throw new RunnerError(
      'NOT_FOUND',
      `bundle ${contentHash} has no component at ${verified.manifest.entry}`,
    );
  }
  const componentDigest = verified.digests.get(verified.manifest.entry);
  return {
    component,
    extensionId: verified.manifest.name,
    version: verified.manifest.version,
    ...(componentDigest === undefined ? {} : { componentDigest }),
  };
}
