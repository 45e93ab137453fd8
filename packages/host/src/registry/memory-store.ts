import {
  checkExecutionLogRows,
  checkKey,
  checkListOptions,
  checkQuotaUsageRows,
  checkRevision,
  checkScope,
  checkValue,
  compareCodePoints,
  encodeCursor,
  utf8Length,
} from './kv.js';
import type {
  AuditEntry,
  ExecutionLogRow,
  ExtensionRecord,
  InstallRecord,
  InstallWriteResult,
  KvDeleteResult,
  KvEntry,
  KvPage,
  KvPutResult,
  KvScope,
  QuotaUsageRow,
  RegistryStore,
  VersionRecord,
  VersionState,
} from './types.js';

const scopeKey = (scope: KvScope): string => JSON.stringify([scope.tenantId, scope.extensionId]);
const installKey = (tenantId: string, extensionId: string): string =>
  JSON.stringify([tenantId, extensionId]);

/**
 * A {@link RegistryStore} in process memory: a complete implementation (the same contract
 * suite as SQLite and PostgreSQL runs over it), for tests and throwaway hosts. Records are
 * copied in and out, so callers cannot change stored state by mutating a returned object.
 *
 * @example
 * const store = new MemoryRegistryStore();
 * await store.open();
 */
export class MemoryRegistryStore implements RegistryStore {
  readonly #extensions = new Map<string, ExtensionRecord>();
  readonly #versions = new Map<string, VersionRecord[]>();
  readonly #installs = new Map<string, InstallRecord>();
  readonly #audit: AuditEntry[] = [];
  readonly #kv = new Map<string, Map<string, { value: Uint8Array; revision: number }>>();
  readonly #logs: ExecutionLogRow[] = [];
  readonly #quota = new Map<string, number>();

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async getExtension(id: string): Promise<ExtensionRecord | undefined> {
    const found = this.#extensions.get(id);
    return found && { ...found };
  }

  async listExtensions(): Promise<ExtensionRecord[]> {
    return [...this.#extensions.values()]
      .map((record) => ({ ...record }))
      .sort((a, b) => compareCodePoints(a.id, b.id));
  }

  async getVersion(extensionId: string, version: string): Promise<VersionRecord | undefined> {
    const found = this.#versions.get(extensionId)?.find((v) => v.version === version);
    return found && structuredClone(found);
  }

  async listVersions(extensionId: string): Promise<VersionRecord[]> {
    return structuredClone(this.#versions.get(extensionId) ?? []).sort(
      (a, b) =>
        compareCodePoints(a.publishedAt, b.publishedAt) || compareCodePoints(a.version, b.version),
    );
  }

  async insertVersion(
    version: VersionRecord,
  ): Promise<{ ok: true } | { ok: false; existing: VersionRecord }> {
    const versions = this.#versions.get(version.extensionId) ?? [];
    const existing = versions.find((v) => v.version === version.version);
    if (existing) return { ok: false, existing: structuredClone(existing) };
    if (!this.#extensions.has(version.extensionId)) {
      this.#extensions.set(version.extensionId, {
        id: version.extensionId,
        publisher: version.publisher,
        createdAt: version.publishedAt,
      });
    }
    versions.push(structuredClone(version));
    this.#versions.set(version.extensionId, versions);
    return { ok: true };
  }

  async setVersionState(
    extensionId: string,
    version: string,
    state: VersionState,
  ): Promise<boolean> {
    const versions = this.#versions.get(extensionId);
    const index = versions?.findIndex((v) => v.version === version) ?? -1;
    if (!versions || index === -1) return false;
    versions[index] = { ...versions[index]!, state };
    return true;
  }

  async getInstall(tenantId: string, extensionId: string): Promise<InstallRecord | undefined> {
    const found = this.#installs.get(installKey(tenantId, extensionId));
    return found && structuredClone(found);
  }

  async listInstalls(filter: {
    tenantId?: string;
    extensionId?: string;
  }): Promise<InstallRecord[]> {
    return [...this.#installs.values()]
      .filter(
        (i) =>
          (filter.tenantId === undefined || i.tenantId === filter.tenantId) &&
          (filter.extensionId === undefined || i.extensionId === filter.extensionId),
      )
      .sort(
        (a, b) =>
          compareCodePoints(a.tenantId, b.tenantId) ||
          compareCodePoints(a.extensionId, b.extensionId),
      )
      .map((i) => structuredClone(i));
  }

  async createInstall(
    install: InstallRecord,
    audit: AuditEntry,
  ): Promise<{ ok: true } | { ok: false; reason: 'exists' }> {
    const key = installKey(install.tenantId, install.extensionId);
    if (this.#installs.has(key)) return { ok: false, reason: 'exists' };
    this.#installs.set(key, structuredClone(install));
    this.#audit.push(structuredClone(audit));
    return { ok: true };
  }

  async updateInstall(
    next: InstallRecord,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult> {
    const key = installKey(next.tenantId, next.extensionId);
    const current = this.#installs.get(key);
    if (!current || current.installId !== next.installId || current.revision !== expectedRevision) {
      return { ok: false, reason: 'conflict' };
    }
    this.#installs.set(key, structuredClone({ ...next, revision: expectedRevision + 1 }));
    this.#audit.push(structuredClone(audit));
    return { ok: true };
  }

  async deleteInstall(
    installId: string,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult> {
    for (const [key, install] of this.#installs) {
      if (install.installId !== installId) continue;
      if (install.revision !== expectedRevision) break;
      this.#installs.delete(key);
      this.#audit.push(structuredClone(audit));
      return { ok: true };
    }
    return { ok: false, reason: 'conflict' };
  }

  async listAudit(filter: { tenantId: string; extensionId?: string }): Promise<AuditEntry[]> {
    return this.#audit
      .filter(
        (a) =>
          a.tenantId === filter.tenantId &&
          (filter.extensionId === undefined || a.extensionId === filter.extensionId),
      )
      .map((a) => structuredClone(a));
  }

  async kvGet(scope: KvScope, key: string): Promise<KvEntry | undefined> {
    checkScope(scope);
    checkKey(key);
    const found = this.#kv.get(scopeKey(scope))?.get(key);
    return found && { value: new Uint8Array(found.value), revision: found.revision };
  }

  async kvPut(
    scope: KvScope,
    key: string,
    value: Uint8Array,
    expectedRevision?: number,
  ): Promise<KvPutResult> {
    checkScope(scope);
    checkKey(key);
    checkValue(value);
    checkRevision(expectedRevision);
    let entries = this.#kv.get(scopeKey(scope));
    const current = entries?.get(key);
    if (expectedRevision !== undefined && (current?.revision ?? 0) !== expectedRevision) {
      return { ok: false, reason: 'conflict' };
    }
    const revision = (current?.revision ?? 0) + 1;
    if (!entries) {
      entries = new Map();
      this.#kv.set(scopeKey(scope), entries);
    }
    entries.set(key, { value: new Uint8Array(value), revision });
    return { ok: true, revision };
  }

  async kvDelete(scope: KvScope, key: string, expectedRevision?: number): Promise<KvDeleteResult> {
    checkScope(scope);
    checkKey(key);
    checkRevision(expectedRevision);
    const entries = this.#kv.get(scopeKey(scope));
    const current = entries?.get(key);
    if (expectedRevision !== undefined && (current?.revision ?? 0) !== expectedRevision) {
      return { ok: false, reason: 'conflict' };
    }
    return { ok: true, existed: entries?.delete(key) ?? false };
  }

  async kvList(
    scope: KvScope,
    options: { prefix: string; cursor?: string | undefined; limit: number },
  ): Promise<KvPage> {
    checkScope(scope);
    const { prefix, after, limit } = checkListOptions(options);
    const matching = [...(this.#kv.get(scopeKey(scope))?.keys() ?? [])]
      .filter(
        (key) =>
          key.startsWith(prefix) && (after === undefined || compareCodePoints(key, after) > 0),
      )
      .sort(compareCodePoints);
    const keys = matching.slice(0, limit);
    const last = keys[keys.length - 1];
    return matching.length > limit && last !== undefined
      ? { keys, nextCursor: encodeCursor(last) }
      : { keys };
  }

  async kvUsage(scope: KvScope): Promise<{ keys: number; bytes: number }> {
    checkScope(scope);
    let keys = 0;
    let bytes = 0;
    for (const [key, { value }] of this.#kv.get(scopeKey(scope)) ?? []) {
      keys += 1;
      bytes += utf8Length(key) + value.byteLength;
    }
    return { keys, bytes };
  }

  async appendExecutionLogs(rows: readonly ExecutionLogRow[]): Promise<void> {
    checkExecutionLogRows(rows);
    for (const row of rows) this.#logs.push({ ...row });
  }

  async listExecutionLogs(filter: {
    tenantId: string;
    extensionId?: string;
    limit?: number;
  }): Promise<ExecutionLogRow[]> {
    return this.#logs
      .map((row, index) => ({ row, index }))
      .filter(
        ({ row }) =>
          row.tenantId === filter.tenantId &&
          (filter.extensionId === undefined || row.extensionId === filter.extensionId),
      )
      .sort((a, b) => compareCodePoints(b.row.startedAt, a.row.startedAt) || b.index - a.index)
      .slice(0, filter.limit ?? 100)
      .map(({ row }) => ({ ...row }));
  }

  async addQuotaUsage(rows: readonly QuotaUsageRow[]): Promise<void> {
    checkQuotaUsageRows(rows);
    for (const row of rows) {
      const key = JSON.stringify([row.tenantId, row.extensionId, row.windowStart, row.metric]);
      this.#quota.set(key, (this.#quota.get(key) ?? 0) + row.amount);
    }
  }

  async getQuotaUsage(key: Omit<QuotaUsageRow, 'amount'>): Promise<number> {
    return (
      this.#quota.get(
        JSON.stringify([key.tenantId, key.extensionId, key.windowStart, key.metric]),
      ) ?? 0
    );
  }
}
