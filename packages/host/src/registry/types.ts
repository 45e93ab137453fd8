import type { CapabilityId } from '@alga/manifest';
import type { SecretEnvelope } from '../secrets/sealer.js';

/** Lifecycle state of a published version: only `active` versions can be installed. */
export type VersionState = 'active' | 'yanked' | 'invalid';

/** An extension id (its manifest `name`) and the publisher that owns it. */
export interface ExtensionRecord {
  readonly id: string;
  readonly publisher: string;
  readonly createdAt: string;
}

/** One published version of an extension. */
export interface VersionRecord {
  readonly extensionId: string;
  readonly version: string;
  /** The manifest as published (JSON). */
  readonly manifest: unknown;
  readonly contentHash: string;
  /** The detached signature as published (JSON). */
  readonly signature: unknown;
  readonly publisherKeyId: string;
  readonly publisher: string;
  /** Bundle size in bytes. */
  readonly bundleSize: number;
  /** Size of `dist/component.wasm` in bytes (0 when the bundle has none). */
  readonly componentSize: number;
  readonly publishedAt: string;
  readonly state: VersionState;
}

/** When a secret field last changed: its secrets version and time. */
export interface SecretFieldMeta {
  readonly version: number;
  readonly updatedAt: string;
}

/** A tenant's install of one extension, with its config and sealed secrets. */
export interface InstallRecord {
  readonly installId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly grants: readonly CapabilityId[];
  readonly egress: readonly string[];
  readonly enabled: boolean;
  /** Increases by one on every change; compare-and-set guard for writers. */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly configVersion: number;
  readonly configUpdatedAt: string;
  /** Sealed secrets, undefined when none is set. */
  readonly secretEnvelope: SecretEnvelope | undefined;
  /** Increases on every secrets change (never reused, even after a clear). */
  readonly secretsVersion: number;
  /** Per secret name: when it was last set. Names only; values live in the envelope. */
  readonly secretFields: Readonly<Record<string, SecretFieldMeta>>;
  readonly secretsUpdatedAt: string;
}

/** What an audit entry records. */
export type AuditAction =
  | 'install'
  | 'upgrade'
  | 'downgrade'
  | 'uninstall'
  | 'enable'
  | 'disable'
  | 'grants'
  | 'settings'
  | 'reset';

/** One entry of an install's audit trail: who did what, when, from which version to which. */
export interface AuditEntry {
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  readonly action: AuditAction;
  /** The actor id given to the registry call. */
  readonly actor: string;
  readonly at: string;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  /** Names of what changed (setting keys, capability ids): never values. */
  readonly detail: Readonly<Record<string, readonly string[]>>;
}

/** Where a KV entry lives: one (tenant, extension). */
export interface KvScope {
  readonly tenantId: string;
  readonly extensionId: string;
}

/** A stored KV value and its revision (1 on creation, +1 per write). */
export interface KvEntry {
  readonly value: Uint8Array;
  readonly revision: number;
}

/** Result of {@link RegistryStore.kvPut}. */
export type KvPutResult = { ok: true; revision: number } | { ok: false; reason: 'conflict' };

/** Result of {@link RegistryStore.kvDelete}. */
export type KvDeleteResult = { ok: true; existed: boolean } | { ok: false; reason: 'conflict' };

/** One page of {@link RegistryStore.kvList}. */
export interface KvPage {
  readonly keys: string[];
  readonly nextCursor?: string;
}

/** One invocation, recorded by the runner. */
export interface ExecutionLogRow {
  readonly requestId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  readonly version: string;
  readonly contentHash: string;
  /** ISO 8601 time the invocation started. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** HTTP status returned to the caller. */
  readonly status: number;
  /** `ok` or the error code the runner reported (`TIMEOUT`, `MEMORY_LIMIT`, ...). */
  readonly outcome: string;
  readonly memoryBytes: number;
  readonly egressBytes: number;
}

/** An amount to add to a (tenant, extension, window, metric) usage counter. */
export interface QuotaUsageRow {
  readonly tenantId: string;
  readonly extensionId: string;
  /** ISO 8601 start of the accounting window. */
  readonly windowStart: string;
  /** What is counted: `invocations`, `egress_bytes`, `cpu_ms`, ... */
  readonly metric: string;
  readonly amount: number;
}

/** Outcome of a compare-and-set write of an install. */
export type InstallWriteResult = { ok: true } | { ok: false; reason: 'conflict' };

/**
 * Persistence of the registry, extension KV storage and run records. Implementations:
 * {@link MemoryRegistryStore} (tests), {@link SqliteRegistryStore} (embedded default) and
 * {@link PostgresRegistryStore} (scale-out); one contract suite covers all three.
 */
export interface RegistryStore {
  /** Prepares the store (runs pending migrations). Idempotent. */
  open(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;

  getExtension(id: string): Promise<ExtensionRecord | undefined>;
  listExtensions(): Promise<ExtensionRecord[]>;
  getVersion(extensionId: string, version: string): Promise<VersionRecord | undefined>;
  /** Every version of an extension, in publish order. */
  listVersions(extensionId: string): Promise<VersionRecord[]>;
  /**
   * Records a version (creating its extension row when new) unless (extension, version)
   * exists, in which case the stored record is returned untouched.
   */
  insertVersion(
    version: VersionRecord,
  ): Promise<{ ok: true } | { ok: false; existing: VersionRecord }>;
  /** Sets a version's state; false when the version does not exist. */
  setVersionState(extensionId: string, version: string, state: VersionState): Promise<boolean>;

  getInstall(tenantId: string, extensionId: string): Promise<InstallRecord | undefined>;
  listInstalls(filter: { tenantId?: string; extensionId?: string }): Promise<InstallRecord[]>;
  /** Creates an install and its first audit entry; `exists` when the tenant has one. */
  createInstall(
    install: InstallRecord,
    audit: AuditEntry,
  ): Promise<{ ok: true } | { ok: false; reason: 'exists' }>;
  /**
   * Replaces an install (config and secrets included) when its stored revision is
   * `expectedRevision`, and appends the audit entry, atomically. `next.revision` must be
   * `expectedRevision + 1`.
   */
  updateInstall(
    next: InstallRecord,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult>;
  /** Deletes an install with its config and secrets when at `expectedRevision`; keeps the audit trail. */
  deleteInstall(
    installId: string,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult>;
  /** The audit trail of a tenant (optionally one extension), oldest first. */
  listAudit(filter: { tenantId: string; extensionId?: string }): Promise<AuditEntry[]>;

  kvGet(scope: KvScope, key: string): Promise<KvEntry | undefined>;
  /**
   * Writes `value`. With `expectedRevision`, only when the stored revision equals it (`0`:
   * the key must not exist); the check and the write are one atomic statement.
   */
  kvPut(
    scope: KvScope,
    key: string,
    value: Uint8Array,
    expectedRevision?: number,
  ): Promise<KvPutResult>;
  /** Deletes `key`; `expectedRevision` works as in {@link RegistryStore.kvPut}. */
  kvDelete(scope: KvScope, key: string, expectedRevision?: number): Promise<KvDeleteResult>;
  /** Keys starting with `prefix` in code point order, at most `limit` (1-1000) per page. */
  kvList(
    scope: KvScope,
    options: { prefix: string; cursor?: string | undefined; limit: number },
  ): Promise<KvPage>;
  /** Number of keys and their bytes (UTF-8 key + value) in a scope. */
  kvUsage(scope: KvScope): Promise<{ keys: number; bytes: number }>;

  appendExecutionLogs(rows: readonly ExecutionLogRow[]): Promise<void>;
  /** Newest first. */
  listExecutionLogs(filter: {
    tenantId: string;
    extensionId?: string;
    limit?: number;
  }): Promise<ExecutionLogRow[]>;
  /** Adds each row's amount to its (tenant, extension, window, metric) counter. */
  addQuotaUsage(rows: readonly QuotaUsageRow[]): Promise<void>;
  getQuotaUsage(key: Omit<QuotaUsageRow, 'amount'>): Promise<number>;
}
