import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExtension } from '@alga/cli';
import {
  type Actor,
  AesGcmSealer,
  createRegistry,
  FsBundleStore,
  generateSigningKey,
  type InstallOptions,
  KeyProvider,
  loadTrustBundle,
  type PackedBundle,
  packBundle,
  type Registry,
  type SigningKey,
  SqliteRegistryStore,
  signBundle,
  type TrustStore,
} from '@alga/host';
import { BENCH_DIR } from './report';

/** The fixture extensions under `bench/fixtures/`. */
export type FixtureName = 'noop' | 'json' | 'caps' | 'limits';

/** A fixture extension built by the real `alga build` (cached by source and toolchain). */
export interface Fixture {
  readonly name: FixtureName;
  readonly dir: string;
  readonly extensionId: string;
  readonly version: string;
  /** `dist/component.wasm`. */
  readonly component: Uint8Array;
  /** `manifest.json` as parsed JSON. */
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** The publisher every fixture names, and the trust entry of the bench signing key. */
export const PUBLISHER = 'alga-bench';

/** The registry actor of every bench publish and install. */
export const ADMIN: Actor = { id: 'bench', roles: ['admin'] };

const built = new Map<FixtureName, Promise<Fixture>>();

/** Builds fixture `name` once per process; `alga build`'s cache makes later runs take milliseconds. */
export function buildFixture(name: FixtureName): Promise<Fixture> {
  let pending = built.get(name);
  if (pending === undefined) {
    pending = (async () => {
      const dir = join(BENCH_DIR, 'fixtures', name);
      const result = await buildExtension({ dir });
      if (!result.cached) console.log(`  built fixture ${name} in ${result.durationMs} ms`);
      return {
        name,
        dir,
        extensionId: result.metadata.extension.name,
        version: result.metadata.extension.version,
        component: await readFile(result.componentPath),
        manifest: JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<
          string,
          unknown
        >,
      };
    })();
    built.set(name, pending);
  }
  return pending;
}

/**
 * Packs a fixture into a bundle; a different `version` gives a new content hash for the same
 * component (what a cold start after a publish sees).
 */
export function packFixture(fixture: Fixture, version = fixture.version): Promise<PackedBundle> {
  const manifest = new TextEncoder().encode(JSON.stringify({ ...fixture.manifest, version }));
  return packBundle({ 'manifest.json': manifest, 'dist/component.wasm': fixture.component });
}

/** A registry with its stores, trust and signing key in a temporary folder. */
export interface BenchHost {
  readonly root: string;
  readonly bundles: FsBundleStore;
  readonly store: SqliteRegistryStore;
  readonly trust: TrustStore;
  readonly signingKey: SigningKey;
  readonly sealer: AesGcmSealer;
  readonly registry: Registry;
  /** Signs and publishes a packed bundle. */
  publish(
    bundle: PackedBundle,
  ): Promise<{ extensionId: string; version: string; contentHash: string }>;
  /** Publishes fixture `name` (at `version`) and installs it for `tenantId`. */
  publishAndInstall(
    name: FixtureName,
    tenantId: string,
    options?: Omit<InstallOptions, 'actor'> & { packVersion?: string },
  ): Promise<{ extensionId: string; version: string; contentHash: string }>;
  /**
   * Closes the store and deletes the folder, unless `keepFiles` (to reopen it, as after a
   * restart) or it was reopened (its creator owns it).
   */
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

/**
 * Creates a {@link BenchHost}: SQLite registry store (the embedded default), fs bundle store.
 * With `reopen`, opens the folder of an earlier host (a restart): same stores, same trust
 * (from its `bench-trust.json`) and same secrets key.
 */
export async function createBenchHost(reopen?: string): Promise<BenchHost> {
  const root = reopen ?? (await mkdtemp(join(tmpdir(), 'alga-bench-')));
  const bundles = new FsBundleStore({ root: join(root, 'bundles') });
  const store = new SqliteRegistryStore({ dataDir: root });
  await store.open();
  const signingKey = await generateSigningKey();
  const trustPath = join(root, 'bench-trust.json');
  const secretsKeyPath = join(root, 'bench-secrets.key');
  if (reopen === undefined) {
    const document = {
      keys: [
        {
          kid: signingKey.keyId,
          publicKey: signingKey.publicKeyDocument().publicKey,
          publisher: PUBLISHER,
        },
      ],
    };
    await writeFile(trustPath, JSON.stringify(document));
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
    await writeFile(secretsKeyPath, `bench:${key}\n`, { mode: 0o600 });
  }
  const trust = loadTrustBundle(trustPath);
  const sealer = new AesGcmSealer(await KeyProvider.fromFile(secretsKeyPath));
  const registry = createRegistry({ store, bundles, trust, sealer });
  const publish: BenchHost['publish'] = async (bundle) => {
    const signature = await signBundle(bundle.bytes, signingKey);
    const result = await registry.publish(bundle.bytes, signature, { actor: ADMIN });
    return {
      extensionId: result.extensionId,
      version: result.version,
      contentHash: result.contentHash,
    };
  };
  return {
    root,
    bundles,
    store,
    trust,
    signingKey,
    sealer,
    registry,
    publish,
    async publishAndInstall(name, tenantId, options = {}) {
      const { packVersion, ...install } = options;
      const fixture = await buildFixture(name);
      const published = await publish(await packFixture(fixture, packVersion));
      await registry.install(tenantId, published.extensionId, {
        ...install,
        version: published.version,
        actor: ADMIN,
      });
      return published;
    },
    async close(options = {}) {
      await store.close();
      if (reopen === undefined && options.keepFiles !== true) {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

/** A 10 KB JSON document (deterministic), the payload of the JSON workloads. */
export function jsonPayload(bytes = 10 * 1024): string {
  const items: unknown[] = [];
  let text = '[]';
  for (let i = 0; text.length < bytes; i++) {
    items.push({
      id: i,
      name: `item-${i}`,
      tags: ['alpha', 'beta', 'gamma'].slice(0, (i % 3) + 1),
      active: i % 2 === 0,
      score: (i * 7919) % 1000,
      nested: { x: i, y: -i, label: `n${i}` },
    });
    text = JSON.stringify(items);
  }
  return text;
}

/** An unsigned LEB128 encoding of `value`. */
function leb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/** A custom section named `alga-bench-<tag>`. */
function customSection(tag: string): Uint8Array {
  const name = new TextEncoder().encode(`alga-bench-${tag}`);
  const body = [...leb128(name.byteLength), ...name];
  return Uint8Array.from([0, ...leb128(body.length), ...body]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** The unsigned LEB128 at `offset` and the offset after it. */
function readLeb128(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, at = offset; ; shift += 7, at++) {
    const byte = bytes[at] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: at + 1 };
  }
}

/** `value` as signed LEB128 (for an `i32.const` operand). */
function sleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** `module` (a core module) with an empty active data segment at `offset` appended. */
function withEmptySegment(module: Uint8Array, offset: number): Uint8Array {
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let at = 8;
  while (at < module.byteLength) {
    const id = module[at] as number;
    const size = readLeb128(module, at + 1);
    const end = size.next + size.value;
    if (id === 11 || id === 12) {
      const count = readLeb128(module, size.next);
      const body =
        id === 12
          ? Uint8Array.from(leb128(count.value + 1))
          : concat(
              Uint8Array.from(leb128(count.value + 1)),
              module.subarray(count.next, end),
              Uint8Array.from([0x00, 0x41, ...sleb128(offset), 0x0b, 0x00]),
            );
      parts.push(Uint8Array.from([id, ...leb128(body.byteLength)]), body);
    } else {
      parts.push(module.subarray(at, end));
    }
    at = end;
  }
  return concat(...parts);
}

/**
 * `component` with a custom section named after `tag` appended at the component level and to its
 * first core module: the same behaviour under a new digest, a new shape (the runner's transpile
 * cache keys shapes by every component-level section), so jco runs, and new engine code (a
 * module's custom sections stay in the code V8 compiles), so the compile runs too: as for the
 * first build of a new capability set, whose engine module imports other functions.
 */
export function uniqueShapeComponent(component: Uint8Array, tag: string): Uint8Array {
  return withFirstCoreModule(concat(component, customSection(tag)), (module) =>
    concat(module, customSection(tag)),
  );
}

/**
 * `component` with an empty data segment at `offset` (below 64 KiB) added to its first core
 * module (the engine and the extension's snapshot): a new digest and new data under the same
 * code and shape, as a new build of an extension whose script changed and whose capabilities
 * did not (a new build differs from the last in its data section only).
 */
export function newBuildComponent(component: Uint8Array, offset: number): Uint8Array {
  return withFirstCoreModule(component, (module) => withEmptySegment(module, offset));
}

/** `component` with its first core module replaced by `change` of it. */
function withFirstCoreModule(
  component: Uint8Array,
  change: (module: Uint8Array) => Uint8Array,
): Uint8Array {
  let at = 8;
  while (at < component.byteLength) {
    const id = component[at] as number;
    const size = readLeb128(component, at + 1);
    const end = size.next + size.value;
    if (id === 1) {
      const module = change(component.subarray(size.next, end));
      return concat(
        component.subarray(0, at),
        Uint8Array.from([1, ...leb128(module.byteLength)]),
        module,
        component.subarray(end),
      );
    }
    at = end;
  }
  throw new Error('the component has no core module');
}
