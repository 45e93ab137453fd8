import { randomUUID } from 'node:crypto';
import {
  CAPABILITY_IDS,
  type CapabilityId,
  DEFAULT_GRANTS,
  isCapabilityId,
  type Manifest,
  parseManifest,
  type SettingValue,
} from '@alga/manifest';
import { EventEmitter } from 'eventemitter3';
import { LRUCache } from 'lru-cache';
import semver from 'semver';
import { type BundleSignature, parseBundleSignature } from '../bundle/signature.js';
import { type VerifyBundleOptions, verifyBundle } from '../bundle/verify.js';
import type { SecretEnvelope, SecretSealer } from '../secrets/sealer.js';
import { ReadBuffers } from '../store/read-buffers.js';
import type { BundleStore } from '../store/types.js';
import type { TrustStore } from '../trust/trust.js';
import {
  type Actor,
  type Authorize,
  adminOnly,
  type RegistryAction,
  type RegistryResource,
} from './authorize.js';
import { RegistryError, RegistryErrorCode, type RegistryIssue } from './errors.js';
import {
  applyConfig,
  type ConfigInput,
  checkRequiredConfig,
  effectiveConfig,
  type InstallSettings,
  parseSecretsInput,
  type SecretsChange,
  type SecretsInput,
  settingsView,
  throwIfIssues,
} from './settings.js';
import type {
  AuditAction,
  AuditEntry,
  InstallRecord,
  RegistryStore,
  VersionRecord,
  VersionState,
} from './types.js';

/** Default time a resolved install is cached. */
export const DEFAULT_RESOLVE_CACHE_TTL_MS = 5000;

/** What the gateway needs to run a request for a tenant's install. */
export interface ResolvedInstall {
  readonly tenantId: string;
  readonly installId: string;
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly grants: readonly CapabilityId[];
  readonly egress: readonly string[];
  /** Plain settings merged over the manifest defaults. */
  readonly config: Readonly<Record<string, SettingValue>>;
  readonly configVersion: number;
  /** Sealed secrets (open with the sealer and `{tenantId, installId, version: secretsVersion}`). */
  readonly secretEnvelope?: SecretEnvelope;
  readonly secretsVersion: number;
  readonly enabled: boolean;
}

/** An install without its config values and sealed secrets, for lists and results. */
export interface InstallSummary {
  readonly installId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly grants: readonly CapabilityId[];
  readonly egress: readonly string[];
  readonly enabled: boolean;
  readonly configVersion: number;
  readonly secretsVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A published version as the catalog lists it (no manifest, no signature). */
export interface VersionSummary {
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly publisher: string;
  /** The key that signed the bundle. */
  readonly publisherKeyId: string;
  readonly publishedAt: string;
  /** Only `active` versions can be installed or upgraded to. */
  readonly state: VersionState;
  /** Bundle size in bytes. */
  readonly bundleSize: number;
  /** Size of the bundle's component in bytes (0 when it has none). */
  readonly componentSize: number;
}

/** One version with its manifest: what a host shows before an install (capabilities, settings, UI). */
export interface VersionDetail extends VersionSummary {
  readonly manifest: Manifest;
}

/** An extension in the catalog, with its versions in publish order. */
export interface ExtensionSummary {
  readonly extensionId: string;
  readonly publisher: string;
  /** When its first version was published. */
  readonly createdAt: string;
  readonly versions: readonly VersionSummary[];
}

/** Result of {@link Registry.publish}. */
export interface PublishResult {
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  /** False when the same content was already published under this version (idempotent). */
  readonly created: boolean;
}

/** Emitted by {@link Registry.events}. Payloads carry names and versions, never values. */
export interface RegistryEvents {
  /** A version was published (or re-published identically: `created` false). */
  published: (event: PublishResult & { readonly actor: string }) => void;
  /** An install changed; the payload is the audit entry just written. */
  changed: (event: AuditEntry) => void;
}

/** The logger the registry writes change records to: pino's `Logger` fits. */
export interface RegistryLogger {
  info(fields: object, message: string): void;
}

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  readonly store: RegistryStore;
  /** Where published bundles go, by content hash. */
  readonly bundles: BundleStore;
  /** Publisher keys accepted on publish and install. */
  readonly trust: TrustStore;
  /** Seals install secrets (default choice: {@link AesGcmSealer}). */
  readonly sealer: SecretSealer;
  /** RBAC hook; default {@link adminOnly}. */
  readonly authorize?: Authorize;
  /** How long `resolveInstall` results are cached (default 5000 ms; 0 disables the cache). */
  readonly cacheTtlMs?: number;
  /** Time source for records and the cache (default `new Date()`). */
  readonly clock?: () => Date;
  readonly logger?: RegistryLogger;
  /** Passed to `verifyBundle` (bundle limits, clock skew). */
  readonly verify?: VerifyBundleOptions;
}

/** The caller of a registry action. */
export interface ActorOptions {
  readonly actor: Actor | undefined;
}

/** Options of {@link Registry.install}. */
export interface InstallOptions extends ActorOptions {
  /** Default: the highest active stable version. */
  readonly version?: string;
  /** Default: the catalog's default grants that the manifest requests. */
  readonly grants?: readonly string[];
  /** Default: the manifest's `http.allow`. Each entry must be covered by it. */
  readonly egress?: readonly string[];
  readonly config?: ConfigInput;
  readonly secrets?: SecretsInput;
  /** Default true. */
  readonly enabled?: boolean;
}

/** Options of {@link Registry.upgrade}. */
export interface UpgradeOptions extends ActorOptions {
  /** Target version (lower than the current one downgrades). Default: the latest active. */
  readonly version?: string;
  /** Default: the current grants the new manifest still requests. */
  readonly grants?: readonly string[];
  /** Default: the current egress the new manifest still covers. */
  readonly egress?: readonly string[];
  /** Config changes applied with the move, e.g. a newly required setting. */
  readonly config?: ConfigInput;
}

/** Options of {@link Registry.setGrants}. */
export interface GrantOptions extends ActorOptions {
  readonly grants?: readonly string[];
  readonly egress?: readonly string[];
}

/** Options of {@link Registry.saveSettings}. */
export interface SaveSettingsOptions extends ActorOptions {
  readonly config?: ConfigInput;
  readonly secrets?: SecretsInput;
}

/** Publishing, tenant installs, settings and the gateway's install lookups. */
export interface Registry {
  /** `published` and `changed` events (see {@link RegistryEvents}). */
  readonly events: EventEmitter<RegistryEvents>;
  /**
   * Verifies a signed bundle (hash, signature, trust, manifest), stores it and records the
   * version. Re-publishing identical content is a no-op; other content under an existing
   * version is `VERSION_CONFLICT`. Bundle problems throw `BundleError` with its code.
   */
  publish(
    bundle: Uint8Array,
    signature: BundleSignature,
    options: ActorOptions,
  ): Promise<PublishResult>;
  /**
   * The catalog: every published extension by id, each with its versions in publish order
   * (`extension.read` on `*`).
   */
  listExtensions(options: ActorOptions): Promise<ExtensionSummary[]>;
  /** One version with its manifest (frozen); `NOT_FOUND` when it was never published. */
  getVersion(extensionId: string, version: string, options: ActorOptions): Promise<VersionDetail>;
  /** Marks a version yanked: no new installs or upgrades to it; running installs stay. */
  yank(extensionId: string, version: string, options: ActorOptions): Promise<void>;
  /** Installs an extension for a tenant (the stored bundle is verified again first). */
  install(tenantId: string, extensionId: string, options: InstallOptions): Promise<InstallSummary>;
  /** Moves an install to another version (up or down), keeping config, secrets and grants that still apply. */
  upgrade(tenantId: string, extensionId: string, options: UpgradeOptions): Promise<InstallSummary>;
  setEnabled(
    tenantId: string,
    extensionId: string,
    enabled: boolean,
    options: ActorOptions,
  ): Promise<InstallSummary>;
  /** Changes granted capabilities and/or egress; neither may exceed the manifest. */
  setGrants(tenantId: string, extensionId: string, options: GrantOptions): Promise<InstallSummary>;
  /** Removes the install with its config and secrets; the audit trail stays. */
  uninstall(tenantId: string, extensionId: string, options: ActorOptions): Promise<void>;
  listInstalls(tenantId: string, options: ActorOptions): Promise<InstallSummary[]>;
  /** Who did what to the tenant's install(s) of an extension, oldest first. */
  auditTrail(tenantId: string, extensionId: string, options: ActorOptions): Promise<AuditEntry[]>;
  /** The install as the gateway runs it; cached for `cacheTtlMs`, dropped on every change. */
  resolveInstall(tenantId: string, extensionId: string): Promise<ResolvedInstall>;
  /** Config merged with defaults and, per secret, only whether it is set. */
  getSettings(
    tenantId: string,
    extensionId: string,
    options: ActorOptions,
  ): Promise<InstallSettings>;
  /** Writes config and secrets together, each with a new version. */
  saveSettings(
    tenantId: string,
    extensionId: string,
    options: SaveSettingsOptions,
  ): Promise<InstallSettings>;
  /** Restores the manifest defaults and clears every secret. */
  resetSettings(
    tenantId: string,
    extensionId: string,
    options: ActorOptions,
  ): Promise<InstallSettings>;
  /** Drops cached `resolveInstall` results (all, or one install's), e.g. on a change made by another replica. */
  invalidate(tenantId?: string, extensionId?: string): void;
}

const MAX_ATTEMPTS = 5;
const cacheKey = (tenantId: string, extensionId: string) => JSON.stringify([tenantId, extensionId]);

/** Copies the named fields only, so nothing a store adds to a record reaches a caller. */
function pick<T, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, from[key]])) as Pick<T, K>;
}

const VERSION_SUMMARY_FIELDS = [
  'extensionId',
  'version',
  'contentHash',
  'publisher',
  'publisherKeyId',
  'publishedAt',
  'state',
  'bundleSize',
  'componentSize',
] as const satisfies readonly (keyof VersionSummary)[];

const INSTALL_SUMMARY_FIELDS = [
  'installId',
  'tenantId',
  'extensionId',
  'version',
  'contentHash',
  'grants',
  'egress',
  'enabled',
  'configVersion',
  'secretsVersion',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof InstallSummary)[];

const versionSummary = (record: VersionRecord): VersionSummary =>
  pick(record, VERSION_SUMMARY_FIELDS);
const summary = (install: InstallRecord): InstallSummary => pick(install, INSTALL_SUMMARY_FIELDS);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function stringList(input: unknown, field: string): string[] {
  if (!Array.isArray(input) || input.some((item) => typeof item !== 'string')) {
    throw new RegistryError(
      RegistryErrorCode.INVALID_ARGUMENT,
      `${field}: must be an array of strings.`,
    );
  }
  return [...new Set(input as string[])];
}

/** Grants for an install: explicit ones checked against the manifest, else carried or default. */
function resolveGrants(
  manifest: Manifest,
  requested: readonly string[] | undefined,
  previous: readonly CapabilityId[] | undefined,
): CapabilityId[] {
  const asked = new Set<string>(manifest.capabilities);
  if (requested === undefined) {
    return CAPABILITY_IDS.filter(
      (id) => asked.has(id) && (previous ?? DEFAULT_GRANTS).includes(id),
    );
  }
  const grants = stringList(requested, 'grants');
  for (const id of grants) {
    if (!isCapabilityId(id)) {
      throw new RegistryError(
        RegistryErrorCode.CAPABILITY_UNKNOWN,
        `grants: "${id}" is not a capability; use one of ${CAPABILITY_IDS.join(', ')}.`,
      );
    }
    if (!asked.has(id)) {
      throw new RegistryError(
        RegistryErrorCode.GRANT_EXCEEDS_REQUEST,
        `grants: "${id}" is not requested by ${manifest.name}@${manifest.version} (it asks for ${manifest.capabilities.join(', ') || 'nothing'}); a grant can only narrow the manifest.`,
      );
    }
  }
  return CAPABILITY_IDS.filter((id) => grants.includes(id));
}

function splitPort(pattern: string): [host: string, port: string] {
  const match = /^(.*?)(?::(\d+))?$/.exec(pattern.toLowerCase());
  return [match?.[1] ?? pattern, match?.[2] ?? ''];
}

/** True when egress entry `entry` is one of the manifest's patterns or inside a wildcard one. */
function egressCovered(manifest: Manifest, entry: string): boolean {
  const [host, port] = splitPort(entry);
  return manifest.http.allow.some((pattern) => {
    const [allowed, allowedPort] = splitPort(pattern);
    if (allowedPort !== port) return false;
    if (allowed === host) return true;
    return (
      allowed.startsWith('*.') &&
      host.endsWith(allowed.slice(1)) &&
      host.length > allowed.length - 1
    );
  });
}

function resolveEgress(
  manifest: Manifest,
  requested: readonly string[] | undefined,
  previous: readonly string[] | undefined,
): string[] {
  if (requested === undefined) {
    return previous === undefined
      ? [...manifest.http.allow]
      : previous.filter((entry) => egressCovered(manifest, entry));
  }
  const egress = stringList(requested, 'egress');
  for (const entry of egress) {
    if (!egressCovered(manifest, entry)) {
      throw new RegistryError(
        RegistryErrorCode.EGRESS_EXCEEDS_REQUEST,
        `egress: "${entry}" is not covered by ${manifest.name}@${manifest.version} http.allow (${manifest.http.allow.join(', ') || 'empty'}); egress can only narrow the manifest.`,
      );
    }
  }
  return egress;
}

class RegistryService implements Registry {
  readonly events = new EventEmitter<RegistryEvents>();
  readonly #store: RegistryStore;
  readonly #bundles: BundleStore;
  readonly #readBuffers = new ReadBuffers();
  readonly #trust: TrustStore;
  readonly #sealer: SecretSealer;
  readonly #authorize: Authorize;
  readonly #clock: () => Date;
  readonly #logger: RegistryLogger | undefined;
  readonly #verify: VerifyBundleOptions;
  readonly #cache: LRUCache<string, ResolvedInstall> | undefined;
  // Bumped by every invalidation: a lookup that started before it must not fill the cache.
  #generation = 0;
  readonly #manifests = new LRUCache<string, Manifest>({ max: 500 });

  constructor(options: RegistryOptions) {
    this.#store = options.store;
    this.#bundles = options.bundles;
    this.#trust = options.trust;
    this.#sealer = options.sealer;
    this.#authorize = options.authorize ?? adminOnly;
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger;
    this.#verify = options.verify ?? {};
    const ttl = options.cacheTtlMs ?? DEFAULT_RESOLVE_CACHE_TTL_MS;
    if (!Number.isFinite(ttl) || ttl < 0) {
      throw new RegistryError(
        RegistryErrorCode.INVALID_ARGUMENT,
        'cacheTtlMs: must be a non-negative number of milliseconds.',
      );
    }
    this.#cache =
      ttl === 0
        ? undefined
        : new LRUCache({
            max: 10_000,
            ttl,
            // Read the clock on every check (no cached "now"), so an injected clock rules the TTL.
            ttlResolution: 0,
            perf: { now: () => this.#clock().getTime() },
          });
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  async #check(
    actor: Actor | undefined,
    action: RegistryAction,
    resource: RegistryResource,
  ): Promise<string> {
    const where = `${resource.extensionId}${resource.tenantId === undefined ? '' : ` for tenant ${resource.tenantId}`}`;
    if (!actor || typeof actor.id !== 'string' || actor.id === '') {
      throw new RegistryError(
        RegistryErrorCode.FORBIDDEN,
        `${action} on ${where}: no actor given; pass options.actor.`,
      );
    }
    if (!(await this.#authorize(actor, action, resource))) {
      throw new RegistryError(
        RegistryErrorCode.FORBIDDEN,
        `${action} on ${where}: actor ${actor.id} is not allowed.`,
      );
    }
    return actor.id;
  }

  /** Signatures are checked against the registry's clock unless `verify.now` says otherwise. */
  #verifyOptions(): VerifyBundleOptions {
    return { now: this.#clock(), ...this.#verify };
  }

  #manifestOf(record: VersionRecord): Manifest {
    const key = `${record.extensionId}@${record.version}`;
    let manifest = this.#manifests.get(key);
    if (!manifest) {
      try {
        // Frozen: callers of getVersion hold the cached object, and installs read grants from it.
        manifest = deepFreeze(parseManifest(record.manifest));
      } catch (cause) {
        throw new RegistryError(
          RegistryErrorCode.STORE_FAILED,
          `Stored manifest of ${key} no longer parses; republish it.`,
          { cause },
        );
      }
      this.#manifests.set(key, manifest);
    }
    return manifest;
  }

  async #manifestAt(extensionId: string, version: string): Promise<Manifest> {
    return this.#manifestOf(await this.#version(extensionId, version));
  }

  async #version(extensionId: string, version: string): Promise<VersionRecord> {
    const record = await this.#store.getVersion(extensionId, version);
    if (!record) {
      throw new RegistryError(
        RegistryErrorCode.NOT_FOUND,
        `${extensionId}@${version} is not published.`,
      );
    }
    return record;
  }

  /** The requested version when active, else the highest active (stable first). */
  async #pickVersion(extensionId: string, requested: string | undefined): Promise<VersionRecord> {
    if (requested !== undefined) {
      const record = await this.#version(extensionId, requested);
      if (record.state !== 'active') {
        throw new RegistryError(
          RegistryErrorCode.VERSION_UNAVAILABLE,
          `${extensionId}@${requested} is ${record.state}; pick an active version.`,
        );
      }
      return record;
    }
    const active = (await this.#store.listVersions(extensionId)).filter(
      (v) => v.state === 'active',
    );
    const versions = active.map((v) => v.version);
    const best = semver.maxSatisfying(versions, '*') ?? semver.rsort([...versions])[0];
    const record = active.find((v) => v.version === best);
    if (!record) {
      throw new RegistryError(
        RegistryErrorCode.NOT_FOUND,
        `${extensionId} has no active published version.`,
      );
    }
    return record;
  }

  /** Defence in depth: the stored bundle must still verify against today's trust store. */
  async #verifyStored(record: VersionRecord): Promise<void> {
    const lease = this.#readBuffers.lease();
    try {
      const bytes = await this.#bundles.get(record.contentHash, { allocate: lease.allocate });
      if (!bytes) {
        throw new RegistryError(
          RegistryErrorCode.NOT_FOUND,
          `Bundle ${record.contentHash} of ${record.extensionId}@${record.version} is missing from the bundle store; publish it again.`,
        );
      }
      await verifyBundle(
        bytes,
        parseBundleSignature(record.signature),
        this.#trust,
        this.#verifyOptions(),
      );
    } finally {
      lease.release();
    }
  }

  #changed(audit: AuditEntry): void {
    this.invalidate(audit.tenantId, audit.extensionId);
    this.#logger?.info({ audit }, `extension install ${audit.action}`);
    this.events.emit('changed', audit);
  }

  #audit(
    install: Pick<InstallRecord, 'tenantId' | 'extensionId' | 'installId'>,
    action: AuditAction,
    actor: string,
    fromVersion: string | undefined,
    toVersion: string | undefined,
    detail: Record<string, readonly string[]> = {},
  ): AuditEntry {
    return {
      tenantId: install.tenantId,
      extensionId: install.extensionId,
      installId: install.installId,
      action,
      actor,
      at: this.#now(),
      fromVersion,
      toVersion,
      detail,
    };
  }

  async #getInstall(tenantId: string, extensionId: string): Promise<InstallRecord> {
    const install = await this.#store.getInstall(tenantId, extensionId);
    if (!install) {
      throw new RegistryError(
        RegistryErrorCode.NOT_INSTALLED,
        `${extensionId} is not installed for tenant ${tenantId}.`,
      );
    }
    return install;
  }

  /**
   * Read-modify-write of an install under compare-and-set, retried when another writer got
   * there first. `build` returns undefined for "nothing to change".
   */
  async #mutate(
    tenantId: string,
    extensionId: string,
    build: (
      current: InstallRecord,
    ) => Promise<{ next: InstallRecord; audit: AuditEntry } | undefined>,
  ): Promise<InstallRecord> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await this.#getInstall(tenantId, extensionId);
      const change = await build(current);
      if (!change) return current;
      const next = { ...change.next, revision: current.revision + 1, updatedAt: change.audit.at };
      const result = await this.#store.updateInstall(next, current.revision, change.audit);
      if (result.ok) {
        this.#changed(change.audit);
        return next;
      }
    }
    throw new RegistryError(
      RegistryErrorCode.CONFLICT,
      `${extensionId} for tenant ${tenantId} kept changing while this change was applied; reload and retry.`,
    );
  }

  /**
   * Seals the secrets after `change`, opening the current envelope to keep what is not
   * changed. Undefined when nothing changes. Names the manifest no longer has are dropped.
   */
  async #reseal(
    current: InstallRecord,
    manifest: Manifest,
    change: SecretsChange,
    now: string,
  ): Promise<
    | Pick<InstallRecord, 'secretEnvelope' | 'secretsVersion' | 'secretFields' | 'secretsUpdatedAt'>
    | undefined
  > {
    const known = new Set(manifest.settings.filter((f) => f.kind === 'secret').map((f) => f.key));
    const stale = Object.keys(current.secretFields).filter((name) => !known.has(name));
    const clearing = [...change.clear].filter((name) => Object.hasOwn(current.secretFields, name));
    if (change.set.size === 0 && clearing.length === 0 && stale.length === 0) return undefined;
    const version = current.secretsVersion + 1;
    const plain: Record<string, string> = {};
    if (current.secretEnvelope !== undefined) {
      const opened = await this.#sealer.open(current.secretEnvelope, {
        tenantId: current.tenantId,
        installId: current.installId,
        version: current.secretsVersion,
      });
      for (const name of Object.keys(opened)) if (known.has(name)) plain[name] = opened[name]!;
    }
    const fields = { ...current.secretFields };
    for (const name of [...clearing, ...stale]) {
      delete plain[name];
      delete fields[name];
    }
    for (const [name, value] of change.set) {
      plain[name] = value;
      fields[name] = { version, updatedAt: now };
    }
    const secretEnvelope =
      Object.keys(plain).length === 0
        ? undefined
        : await this.#sealer.seal(plain, {
            tenantId: current.tenantId,
            installId: current.installId,
            version,
          });
    return { secretEnvelope, secretsVersion: version, secretFields: fields, secretsUpdatedAt: now };
  }

  async publish(
    bundle: Uint8Array,
    signature: BundleSignature,
    options: ActorOptions,
  ): Promise<PublishResult> {
    const verified = await verifyBundle(
      bundle,
      parseBundleSignature(signature),
      this.#trust,
      this.#verifyOptions(),
    );
    const { manifest } = verified;
    const actor = await this.#check(options.actor, 'extension.publish', {
      extensionId: manifest.name,
      version: manifest.version,
    });
    const signer = verified.signer.publisher;
    if (signer !== null && signer !== manifest.publisher) {
      throw new RegistryError(
        RegistryErrorCode.PUBLISHER_MISMATCH,
        `${manifest.name}@${manifest.version}: manifest publisher "${manifest.publisher}" but key ${verified.signer.keyId} belongs to "${signer}"; sign with a key of the manifest's publisher.`,
      );
    }
    const owner = await this.#store.getExtension(manifest.name);
    if (owner && owner.publisher !== manifest.publisher) {
      throw new RegistryError(
        RegistryErrorCode.PUBLISHER_MISMATCH,
        `${manifest.name} belongs to publisher "${owner.publisher}", not "${manifest.publisher}"; pick another extension name.`,
      );
    }
    const result = (created: boolean): PublishResult => ({
      extensionId: manifest.name,
      version: manifest.version,
      contentHash: verified.contentHash,
      created,
    });
    const conflict = (existing: VersionRecord) =>
      new RegistryError(
        RegistryErrorCode.VERSION_CONFLICT,
        `${manifest.name}@${manifest.version} is already published as ${existing.contentHash}, not ${verified.contentHash}; bump the version.`,
      );
    const existing = await this.#store.getVersion(manifest.name, manifest.version);
    if (existing) {
      if (existing.contentHash !== verified.contentHash) throw conflict(existing);
      this.events.emit('published', { ...result(false), actor });
      return result(false);
    }
    const stored = await this.#bundles.put(bundle);
    if (stored !== verified.contentHash) {
      throw new RegistryError(
        RegistryErrorCode.STORE_FAILED,
        `The bundle store filed the bundle as ${stored}, but it verified as ${verified.contentHash}; check the bundle store.`,
      );
    }
    const inserted = await this.#store.insertVersion({
      extensionId: manifest.name,
      version: manifest.version,
      manifest: JSON.parse(new TextDecoder().decode(verified.files.get('manifest.json'))),
      contentHash: verified.contentHash,
      signature: verified.signature,
      publisherKeyId: verified.signer.keyId,
      publisher: manifest.publisher,
      bundleSize: bundle.byteLength,
      componentSize: verified.files.get(manifest.entry)?.byteLength ?? 0,
      publishedAt: this.#now(),
      state: 'active',
    });
    if (!inserted.ok) {
      // Another publisher raced us to this version.
      if (inserted.existing.contentHash !== verified.contentHash) throw conflict(inserted.existing);
      return result(false);
    }
    this.#logger?.info(
      {
        extensionId: manifest.name,
        version: manifest.version,
        contentHash: verified.contentHash,
        actor,
      },
      'extension version published',
    );
    this.events.emit('published', { ...result(true), actor });
    return result(true);
  }

  async listExtensions(options: ActorOptions): Promise<ExtensionSummary[]> {
    await this.#check(options.actor, 'extension.read', { extensionId: '*' });
    const extensions = await this.#store.listExtensions();
    return Promise.all(
      extensions.map(async (extension) => ({
        extensionId: extension.id,
        publisher: extension.publisher,
        createdAt: extension.createdAt,
        versions: (await this.#store.listVersions(extension.id)).map(versionSummary),
      })),
    );
  }

  async getVersion(
    extensionId: string,
    version: string,
    options: ActorOptions,
  ): Promise<VersionDetail> {
    await this.#check(options.actor, 'extension.read', { extensionId, version });
    const record = await this.#version(extensionId, version);
    return { ...versionSummary(record), manifest: this.#manifestOf(record) };
  }

  async yank(extensionId: string, version: string, options: ActorOptions): Promise<void> {
    const actor = await this.#check(options.actor, 'extension.yank', { extensionId, version });
    if (!(await this.#store.setVersionState(extensionId, version, 'yanked'))) {
      throw new RegistryError(
        RegistryErrorCode.NOT_FOUND,
        `${extensionId}@${version} is not published.`,
      );
    }
    this.#logger?.info({ extensionId, version, actor }, 'extension version yanked');
  }

  async install(
    tenantId: string,
    extensionId: string,
    options: InstallOptions,
  ): Promise<InstallSummary> {
    const actor = await this.#check(options.actor, 'install.create', {
      tenantId,
      extensionId,
      ...(options.version === undefined ? {} : { version: options.version }),
    });
    if (await this.#store.getInstall(tenantId, extensionId)) {
      throw new RegistryError(
        RegistryErrorCode.ALREADY_INSTALLED,
        `${extensionId} is already installed for tenant ${tenantId}; use upgrade.`,
      );
    }
    const record = await this.#pickVersion(extensionId, options.version);
    const manifest = this.#manifestOf(record);
    const grants = resolveGrants(manifest, options.grants, undefined);
    const egress = resolveEgress(manifest, options.egress, undefined);
    const issues: RegistryIssue[] = [];
    const config = applyConfig(manifest, {}, options.config, issues);
    const secrets = parseSecretsInput(manifest, options.secrets, issues);
    checkRequiredConfig(manifest, config, issues);
    throwIfIssues(issues, `install ${extensionId}@${record.version} for tenant ${tenantId}`);
    await this.#verifyStored(record);

    const now = this.#now();
    const base: InstallRecord = {
      installId: randomUUID(),
      tenantId,
      extensionId,
      version: record.version,
      contentHash: record.contentHash,
      grants,
      egress,
      enabled: options.enabled ?? true,
      revision: 1,
      createdAt: now,
      updatedAt: now,
      config,
      configVersion: 1,
      configUpdatedAt: now,
      secretEnvelope: undefined,
      secretsVersion: 0,
      secretFields: {},
      secretsUpdatedAt: now,
    };
    const sealed = await this.#reseal(base, manifest, secrets, now);
    const install = sealed ? { ...base, ...sealed } : base;
    const audit = this.#audit(install, 'install', actor, undefined, record.version, {
      grants,
      config: Object.keys(config),
      secrets: [...secrets.set.keys()],
    });
    const created = await this.#store.createInstall(install, audit);
    if (!created.ok) {
      throw new RegistryError(
        RegistryErrorCode.ALREADY_INSTALLED,
        `${extensionId} is already installed for tenant ${tenantId}; use upgrade.`,
      );
    }
    this.#changed(audit);
    return summary(install);
  }

  async upgrade(
    tenantId: string,
    extensionId: string,
    options: UpgradeOptions,
  ): Promise<InstallSummary> {
    const actor = await this.#check(options.actor, 'install.upgrade', {
      tenantId,
      extensionId,
      ...(options.version === undefined ? {} : { version: options.version }),
    });
    const record = await this.#pickVersion(extensionId, options.version);
    const manifest = this.#manifestOf(record);
    let verified = false;
    const next = await this.#mutate(tenantId, extensionId, async (current) => {
      if (
        current.version === record.version &&
        options.grants === undefined &&
        options.egress === undefined &&
        options.config === undefined
      ) {
        return undefined;
      }
      const grants = resolveGrants(manifest, options.grants, current.grants);
      const egress = resolveEgress(manifest, options.egress, current.egress);
      const issues: RegistryIssue[] = [];
      const config = applyConfig(manifest, current.config, options.config, issues);
      checkRequiredConfig(manifest, config, issues);
      throwIfIssues(issues, `move ${extensionId} for tenant ${tenantId} to ${record.version}`);
      if (!verified) {
        await this.#verifyStored(record);
        verified = true;
      }
      const now = this.#now();
      const sealed = await this.#reseal(
        current,
        manifest,
        { set: new Map(), clear: new Set() },
        now,
      );
      const down =
        semver.valid(current.version) &&
        semver.valid(record.version) &&
        semver.lt(record.version, current.version);
      return {
        next: {
          ...current,
          ...sealed,
          version: record.version,
          contentHash: record.contentHash,
          grants,
          egress,
          config,
          configVersion: current.configVersion + 1,
          configUpdatedAt: now,
        },
        audit: this.#audit(
          current,
          down ? 'downgrade' : 'upgrade',
          actor,
          current.version,
          record.version,
          { grants },
        ),
      };
    });
    return summary(next);
  }

  async setEnabled(
    tenantId: string,
    extensionId: string,
    enabled: boolean,
    options: ActorOptions,
  ): Promise<InstallSummary> {
    const actor = await this.#check(options.actor, enabled ? 'install.enable' : 'install.disable', {
      tenantId,
      extensionId,
    });
    const next = await this.#mutate(tenantId, extensionId, async (current) =>
      current.enabled === enabled
        ? undefined
        : {
            next: { ...current, enabled },
            audit: this.#audit(
              current,
              enabled ? 'enable' : 'disable',
              actor,
              current.version,
              current.version,
            ),
          },
    );
    return summary(next);
  }

  async setGrants(
    tenantId: string,
    extensionId: string,
    options: GrantOptions,
  ): Promise<InstallSummary> {
    const actor = await this.#check(options.actor, 'install.grants', { tenantId, extensionId });
    const next = await this.#mutate(tenantId, extensionId, async (current) => {
      const manifest = await this.#manifestAt(extensionId, current.version);
      const grants =
        options.grants === undefined
          ? current.grants
          : resolveGrants(manifest, options.grants, undefined);
      const egress =
        options.egress === undefined
          ? current.egress
          : resolveEgress(manifest, options.egress, undefined);
      return {
        next: { ...current, grants, egress },
        audit: this.#audit(current, 'grants', actor, current.version, current.version, {
          grants,
          egress,
        }),
      };
    });
    return summary(next);
  }

  async uninstall(tenantId: string, extensionId: string, options: ActorOptions): Promise<void> {
    const actor = await this.#check(options.actor, 'install.uninstall', { tenantId, extensionId });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await this.#getInstall(tenantId, extensionId);
      const audit = this.#audit(current, 'uninstall', actor, current.version, undefined);
      if ((await this.#store.deleteInstall(current.installId, current.revision, audit)).ok) {
        this.#changed(audit);
        return;
      }
    }
    throw new RegistryError(
      RegistryErrorCode.CONFLICT,
      `${extensionId} for tenant ${tenantId} kept changing during uninstall; retry.`,
    );
  }

  async listInstalls(tenantId: string, options: ActorOptions): Promise<InstallSummary[]> {
    await this.#check(options.actor, 'install.read', { tenantId, extensionId: '*' });
    return (await this.#store.listInstalls({ tenantId })).map(summary);
  }

  async auditTrail(
    tenantId: string,
    extensionId: string,
    options: ActorOptions,
  ): Promise<AuditEntry[]> {
    await this.#check(options.actor, 'install.read', { tenantId, extensionId });
    return this.#store.listAudit({ tenantId, extensionId });
  }

  async resolveInstall(tenantId: string, extensionId: string): Promise<ResolvedInstall> {
    const key = cacheKey(tenantId, extensionId);
    const hit = this.#cache?.get(key);
    if (hit) return hit;
    const generation = this.#generation;
    const install = await this.#getInstall(tenantId, extensionId);
    const manifest = await this.#manifestAt(extensionId, install.version);
    const resolved: ResolvedInstall = deepFreeze({
      tenantId,
      installId: install.installId,
      extensionId,
      version: install.version,
      contentHash: install.contentHash,
      grants: [...install.grants],
      egress: [...install.egress],
      config: effectiveConfig(manifest, install.config),
      configVersion: install.configVersion,
      ...(install.secretEnvelope === undefined ? {} : { secretEnvelope: install.secretEnvelope }),
      secretsVersion: install.secretsVersion,
      enabled: install.enabled,
    });
    if (generation === this.#generation) this.#cache?.set(key, resolved);
    return resolved;
  }

  async #settings(install: InstallRecord): Promise<InstallSettings> {
    const manifest = await this.#manifestAt(install.extensionId, install.version);
    return settingsView(manifest, install);
  }

  async getSettings(
    tenantId: string,
    extensionId: string,
    options: ActorOptions,
  ): Promise<InstallSettings> {
    await this.#check(options.actor, 'settings.read', { tenantId, extensionId });
    return this.#settings(await this.#getInstall(tenantId, extensionId));
  }

  async saveSettings(
    tenantId: string,
    extensionId: string,
    options: SaveSettingsOptions,
  ): Promise<InstallSettings> {
    const actor = await this.#check(options.actor, 'settings.write', { tenantId, extensionId });
    const next = await this.#mutate(tenantId, extensionId, async (current) => {
      const manifest = await this.#manifestAt(extensionId, current.version);
      const issues: RegistryIssue[] = [];
      const config = applyConfig(manifest, current.config, options.config, issues);
      const secrets = parseSecretsInput(manifest, options.secrets, issues);
      checkRequiredConfig(manifest, config, issues);
      for (const field of manifest.settings) {
        if (field.kind !== 'secret' || !field.required) continue;
        const stays =
          Object.hasOwn(current.secretFields, field.key) && !secrets.clear.has(field.key);
        if (!stays && !secrets.set.has(field.key))
          issues.push({ field: `settings.${field.key}`, message: 'is required' });
      }
      throwIfIssues(issues, `save settings of ${extensionId} for tenant ${tenantId}`);
      const now = this.#now();
      const sealed = await this.#reseal(current, manifest, secrets, now);
      const configChanged = options.config !== undefined;
      if (!configChanged && !sealed) return undefined;
      return {
        next: {
          ...current,
          ...sealed,
          ...(configChanged
            ? { config, configVersion: current.configVersion + 1, configUpdatedAt: now }
            : {}),
        },
        audit: this.#audit(current, 'settings', actor, current.version, current.version, {
          config: configChanged ? Object.keys(options.config ?? {}) : [],
          secrets: [...secrets.set.keys()],
          cleared: [...secrets.clear],
        }),
      };
    });
    return this.#settings(next);
  }

  async resetSettings(
    tenantId: string,
    extensionId: string,
    options: ActorOptions,
  ): Promise<InstallSettings> {
    const actor = await this.#check(options.actor, 'settings.reset', { tenantId, extensionId });
    const next = await this.#mutate(tenantId, extensionId, async (current) => {
      const now = this.#now();
      return {
        next: {
          ...current,
          config: {},
          configVersion: current.configVersion + 1,
          configUpdatedAt: now,
          secretEnvelope: undefined,
          secretsVersion: current.secretsVersion + 1,
          secretFields: {},
          secretsUpdatedAt: now,
        },
        audit: this.#audit(current, 'reset', actor, current.version, current.version, {
          secrets: Object.keys(current.secretFields),
        }),
      };
    });
    return this.#settings(next);
  }

  invalidate(tenantId?: string, extensionId?: string): void {
    this.#generation += 1;
    if (tenantId === undefined || extensionId === undefined) this.#cache?.clear();
    else this.#cache?.delete(cacheKey(tenantId, extensionId));
  }
}

/**
 * Creates the registry service over a store, a bundle store, a trust store and a sealer.
 *
 * @example
 * const registry = createRegistry({
 *   store: new SqliteRegistryStore({ dataDir: '/var/lib/my-host' }),
 *   bundles: new FsBundleStore({ root: '/var/lib/my-host/bundles' }),
 *   trust: loadTrustBundle(await readFile('/etc/alga/trust.json', 'utf8')),
 *   sealer: new AesGcmSealer(KeyProvider.fromEnv('ALGA_SECRETS_KEY')),
 * });
 * const admin = { id: 'ops', roles: ['admin'] };
 * await registry.publish(bundleBytes, signature, { actor: admin });
 * await registry.install('tenant-1', 'com.example.hello', { actor: admin });
 * const resolved = await registry.resolveInstall('tenant-1', 'com.example.hello');
 */
export function createRegistry(options: RegistryOptions): Registry {
  return new RegistryService(options);
}
