import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildExtension } from '@alga/cli';
import { generateSigningKey, type SigningKey } from '../../src/bundle/keys';
import { packBundle } from '../../src/bundle/pack';
import { type BundleSignature, signBundle } from '../../src/bundle/signature';
import type { SignatureSource } from '../../src/runner/engine/loader';
import type { ExecuteRequest } from '../../src/runner/types';
import { FsBundleStore } from '../../src/store/fs-store';
import { loadTrustBundle, type TrustStore } from '../../src/trust/trust';

/** A fixture extension built by `alga build`, packed, signed and stored. */
export interface FixtureBundle {
  readonly name: string;
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly bytes: Uint8Array;
  readonly signature: BundleSignature;
}

/** Everything a runner needs to load fixture bundles: a real store, trust and signatures. */
export interface FixtureWorld {
  readonly store: FsBundleStore;
  readonly trust: TrustStore;
  readonly signatures: SignatureSource;
  readonly signingKey: SigningKey;
  readonly dataDir: string;
  /** Builds (cached by source and toolchain), packs, signs and stores a fixture. */
  bundle(name: string): Promise<FixtureBundle>;
  /** Stores a bundle with `signature` (or none) recorded for it, to test refused loads. */
  storeWith(bytes: Uint8Array, signature: BundleSignature | undefined): Promise<string>;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The folder of fixture extension `name` (`test/fixtures/runner-<name>`). */
export function fixtureDir(name: string): string {
  return join(FIXTURES, `runner-${name}`);
}

const built = new Map<
  string,
  Promise<{ bytes: Uint8Array; contentHash: string; extensionId: string; version: string }>
>();

/** Builds fixture `name` with `alga build` once per test file (the build itself is cached on disk). */
function buildOnce(name: string) {
  let pending = built.get(name);
  if (pending === undefined) {
    pending = (async () => {
      const dir = fixtureDir(name);
      const result = await buildExtension({ dir });
      const packed = await packBundle(dir);
      return {
        bytes: packed.bytes,
        contentHash: packed.contentHash,
        extensionId: result.metadata.extension.name,
        version: result.metadata.extension.version,
      };
    })();
    built.set(name, pending);
  }
  return pending;
}

/** A fresh bundle store, signing key and trust store in a temporary folder. */
export async function createFixtureWorld(): Promise<FixtureWorld> {
  const root = await mkdtemp(join(tmpdir(), 'alga-runner-test-'));
  const store = new FsBundleStore({ root: join(root, 'bundles') });
  const signingKey = await generateSigningKey();
  const trust = loadTrustBundle({
    keys: [
      {
        kid: signingKey.keyId,
        publicKey: signingKey.publicKeyDocument().publicKey,
        publisher: 'alga-tests',
      },
    ],
  });
  const signatures = new Map<string, BundleSignature>();
  return {
    store,
    trust,
    signingKey,
    dataDir: join(root, 'data'),
    signatures: async (contentHash) => signatures.get(contentHash),
    async bundle(name) {
      const { bytes, contentHash, extensionId, version } = await buildOnce(name);
      await store.put(bytes);
      const signature = await signBundle(bytes, signingKey);
      signatures.set(contentHash, signature);
      return { name, extensionId, version, contentHash, bytes, signature };
    },
    async storeWith(bytes, signature) {
      const contentHash = await store.put(bytes);
      if (signature === undefined) signatures.delete(contentHash);
      else signatures.set(contentHash, signature);
      return contentHash;
    },
  };
}

/** An execute request for `bundle` with sensible defaults; `overrides` replace fields. */
export function requestFor(
  bundle: Pick<FixtureBundle, 'extensionId' | 'version' | 'contentHash'>,
  path: string,
  overrides: Partial<Omit<ExecuteRequest, 'http' | 'context'>> & {
    http?: Partial<ExecuteRequest['http']>;
    context?: Partial<ExecuteRequest['context']>;
  } = {},
): ExecuteRequest {
  const [pathname, search = ''] = path.split('?');
  const { http, context, ...rest } = overrides;
  return {
    context: {
      requestId: randomUUID(),
      tenantId: 'tenant-a',
      extensionId: bundle.extensionId,
      installId: 'install-a',
      version: bundle.version,
      contentHash: bundle.contentHash,
      ...context,
    },
    http: {
      method: 'GET',
      path: pathname ?? '/',
      query: [...new URLSearchParams(search)],
      headers: [],
      body: new Uint8Array(),
      kind: 'api',
      ...http,
    },
    config: {},
    grants: ['cap:context.read', 'cap:log.emit'],
    egress: [],
    ...rest,
  };
}

/** The response body as text. */
export function bodyText(response: { body: Uint8Array }): string {
  return new TextDecoder().decode(response.body);
}

/** The response body parsed as JSON. */
export function bodyJson(response: { body: Uint8Array }): unknown {
  return JSON.parse(bodyText(response)) as unknown;
}
