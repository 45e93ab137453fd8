import type { CapabilityId } from '@alga/manifest';
import { type Kysely, Migrator, type Selectable, sql } from 'kysely';
import { parseSecretEnvelope } from '../../secrets/sealer.js';
import { RegistryError, RegistryErrorCode } from '../errors.js';
import {
  checkExecutionLogRows,
  checkKey,
  checkListOptions,
  checkQuotaUsageRows,
  checkRevision,
  checkScope,
  checkValue,
  encodeCursor,
  prefixUpperBound,
  utf8Length,
} from '../kv.js';
import type {
  AuditAction,
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
  SecretFieldMeta,
  VersionRecord,
  VersionState,
} from '../types.js';
import { registryMigrations, type SqlDialectName } from './migrations.js';
import type {
  ExecutionLogsTable,
  ExtensionVersionsTable,
  InstallsTable,
  RegistryDatabase,
} from './schema.js';

function parseJson<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new RegistryError(
      RegistryErrorCode.STORE_FAILED,
      `Stored ${where} is not valid JSON; the row is corrupt.`,
      { cause },
    );
  }
}

function toVersion(row: Selectable<ExtensionVersionsTable>): VersionRecord {
  const where = `version ${row.extension_id}@${row.version}`;
  return {
    extensionId: row.extension_id,
    version: row.version,
    manifest: parseJson<unknown>(row.manifest, `${where} manifest`),
    contentHash: row.content_hash,
    signature: parseJson<unknown>(row.signature, `${where} signature`),
    publisherKeyId: row.publisher_key_id,
    publisher: row.publisher,
    bundleSize: Number(row.bundle_size),
    componentSize: Number(row.component_size),
    publishedAt: row.published_at,
    state: row.state as VersionState,
  };
}

function toLogRow(row: Selectable<ExecutionLogsTable>): ExecutionLogRow {
  return {
    requestId: row.request_id,
    tenantId: row.tenant_id,
    extensionId: row.extension_id,
    installId: row.install_id,
    version: row.version,
    contentHash: row.content_hash,
    startedAt: row.started_at,
    durationMs: Number(row.duration_ms),
    status: row.status,
    outcome: row.outcome,
    memoryBytes: Number(row.memory_bytes),
    egressBytes: Number(row.egress_bytes),
  };
}

function auditRow(audit: AuditEntry) {
  return {
    tenant_id: audit.tenantId,
    extension_id: audit.extensionId,
    install_id: audit.installId,
    action: audit.action,
    actor: audit.actor,
    at: audit.at,
    from_version: audit.fromVersion ?? null,
    to_version: audit.toVersion ?? null,
    detail: JSON.stringify(audit.detail),
  };
}

function installColumns(install: InstallRecord) {
  return {
    version: install.version,
    content_hash: install.contentHash,
    grants: JSON.stringify(install.grants),
    egress: JSON.stringify(install.egress),
    enabled: install.enabled ? 1 : 0,
    updated_at: install.updatedAt,
  };
}

function configColumns(install: InstallRecord) {
  return {
    config: JSON.stringify(install.config),
    version: install.configVersion,
    updated_at: install.configUpdatedAt,
  };
}

function secretsColumns(install: InstallRecord) {
  return {
    envelope: install.secretEnvelope === undefined ? null : JSON.stringify(install.secretEnvelope),
    fields: JSON.stringify(install.secretFields),
    version: install.secretsVersion,
    updated_at: install.secretsUpdatedAt,
  };
}

/** An install joined with its config and secrets rows. */
type InstallRow = Selectable<InstallsTable> & {
  config: string;
  config_version: number;
  config_updated_at: string;
  envelope: string | null;
  secret_fields: string;
  secrets_version: number;
  secrets_updated_at: string;
};

const changed = (n: bigint | undefined): boolean => (n ?? 0n) > 0n;

/**
 * The {@link RegistryStore} over SQL through Kysely, shared by {@link SqliteRegistryStore} and
 * {@link PostgresRegistryStore}. Every compare-and-set is one conditional statement
 * (`UPDATE ... WHERE revision = ?`, `INSERT ... ON CONFLICT DO NOTHING`), so it stays atomic
 * across processes and replicas.
 */
export abstract class SqlRegistryStore implements RegistryStore {
  protected readonly db: Kysely<RegistryDatabase>;
  readonly #dialect: SqlDialectName;
  readonly #migrationSchema: string | undefined;
  #opened: Promise<void> | undefined;

  protected constructor(
    db: Kysely<RegistryDatabase>,
    dialect: SqlDialectName,
    migrationSchema?: string,
  ) {
    this.db = db;
    this.#dialect = dialect;
    this.#migrationSchema = migrationSchema;
  }

  /** Work to do before migrating (creating a schema). */
  protected async prepare(): Promise<void> {}

  open(): Promise<void> {
    this.#opened ??= this.#migrate().catch((error: unknown) => {
      this.#opened = undefined;
      throw error;
    });
    return this.#opened;
  }

  async #migrate(): Promise<void> {
    await this.prepare();
    const migrator = new Migrator({
      db: this.db,
      provider: registryMigrations(this.#dialect),
      ...(this.#migrationSchema === undefined
        ? {}
        : { migrationTableSchema: this.#migrationSchema }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new RegistryError(
        RegistryErrorCode.STORE_FAILED,
        `Registry migration ${failed} failed on ${this.#dialect}; see cause, fix the database and restart.`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async getExtension(id: string): Promise<ExtensionRecord | undefined> {
    const row = await this.db
      .selectFrom('extensions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { id: row.id, publisher: row.publisher, createdAt: row.created_at };
  }

  async listExtensions(): Promise<ExtensionRecord[]> {
    const rows = await this.db.selectFrom('extensions').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, publisher: row.publisher, createdAt: row.created_at }));
  }

  async getVersion(extensionId: string, version: string): Promise<VersionRecord | undefined> {
    const row = await this.db
      .selectFrom('extension_versions')
      .selectAll()
      .where('extension_id', '=', extensionId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async listVersions(extensionId: string): Promise<VersionRecord[]> {
    const rows = await this.db
      .selectFrom('extension_versions')
      .selectAll()
      .where('extension_id', '=', extensionId)
      .orderBy('published_at')
      .orderBy('version')
      .execute();
    return rows.map(toVersion);
  }

  async insertVersion(
    version: VersionRecord,
  ): Promise<{ ok: true } | { ok: false; existing: VersionRecord }> {
    const inserted = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('extensions')
        .values({
          id: version.extensionId,
          publisher: version.publisher,
          created_at: version.publishedAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const result = await trx
        .insertInto('extension_versions')
        .values({
          extension_id: version.extensionId,
          version: version.version,
          manifest: JSON.stringify(version.manifest),
          content_hash: version.contentHash,
          signature: JSON.stringify(version.signature),
          publisher_key_id: version.publisherKeyId,
          publisher: version.publisher,
          bundle_size: version.bundleSize,
          component_size: version.componentSize,
          published_at: version.publishedAt,
          state: version.state,
        })
        .onConflict((oc) => oc.columns(['extension_id', 'version']).doNothing())
        .executeTakeFirst();
      return changed(result.numInsertedOrUpdatedRows);
    });
    if (inserted) return { ok: true };
    const existing = await this.getVersion(version.extensionId, version.version);
    if (!existing) {
      throw new RegistryError(
        RegistryErrorCode.STORE_FAILED,
        `Version ${version.extensionId}@${version.version} neither inserted nor found; retry.`,
      );
    }
    return { ok: false, existing };
  }

  async setVersionState(
    extensionId: string,
    version: string,
    state: VersionState,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('extension_versions')
      .set({ state })
      .where('extension_id', '=', extensionId)
      .where('version', '=', version)
      .executeTakeFirst();
    return changed(result.numUpdatedRows);
  }

  #selectInstalls() {
    return this.db
      .selectFrom('installs as i')
      .innerJoin('install_config as c', 'c.install_id', 'i.install_id')
      .innerJoin('install_secrets as s', 's.install_id', 'i.install_id')
      .selectAll('i')
      .select([
        'c.config as config',
        'c.version as config_version',
        'c.updated_at as config_updated_at',
        's.envelope as envelope',
        's.fields as secret_fields',
        's.version as secrets_version',
        's.updated_at as secrets_updated_at',
      ]);
  }

  #toInstall(row: InstallRow): InstallRecord {
    const where = `install ${row.install_id}`;
    let secretEnvelope: InstallRecord['secretEnvelope'];
    if (row.envelope !== null) {
      try {
        secretEnvelope = parseSecretEnvelope(parseJson<unknown>(row.envelope, `${where} envelope`));
      } catch (cause) {
        throw new RegistryError(
          RegistryErrorCode.STORE_FAILED,
          `Stored ${where} secret envelope is malformed; re-save the install's secrets.`,
          { cause },
        );
      }
    }
    return {
      installId: row.install_id,
      tenantId: row.tenant_id,
      extensionId: row.extension_id,
      version: row.version,
      contentHash: row.content_hash,
      grants: parseJson<CapabilityId[]>(row.grants, `${where} grants`),
      egress: parseJson<string[]>(row.egress, `${where} egress`),
      enabled: Number(row.enabled) === 1,
      revision: Number(row.revision),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      config: parseJson<Record<string, unknown>>(row.config, `${where} config`),
      configVersion: Number(row.config_version),
      configUpdatedAt: row.config_updated_at,
      secretEnvelope,
      secretsVersion: Number(row.secrets_version),
      secretFields: parseJson<Record<string, SecretFieldMeta>>(
        row.secret_fields,
        `${where} secret fields`,
      ),
      secretsUpdatedAt: row.secrets_updated_at,
    };
  }

  async getInstall(tenantId: string, extensionId: string): Promise<InstallRecord | undefined> {
    const row = await this.#selectInstalls()
      .where('i.tenant_id', '=', tenantId)
      .where('i.extension_id', '=', extensionId)
      .executeTakeFirst();
    return row && this.#toInstall(row);
  }

  async listInstalls(filter: {
    tenantId?: string;
    extensionId?: string;
  }): Promise<InstallRecord[]> {
    let query = this.#selectInstalls();
    if (filter.tenantId !== undefined) query = query.where('i.tenant_id', '=', filter.tenantId);
    if (filter.extensionId !== undefined) {
      query = query.where('i.extension_id', '=', filter.extensionId);
    }
    const rows = await query.orderBy('i.tenant_id').orderBy('i.extension_id').execute();
    return rows.map((row) => this.#toInstall(row));
  }

  async createInstall(
    install: InstallRecord,
    audit: AuditEntry,
  ): Promise<{ ok: true } | { ok: false; reason: 'exists' }> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto('installs')
        .values({
          install_id: install.installId,
          tenant_id: install.tenantId,
          extension_id: install.extensionId,
          revision: install.revision,
          created_at: install.createdAt,
          ...installColumns(install),
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'extension_id']).doNothing())
        .executeTakeFirst();
      if (!changed(result.numInsertedOrUpdatedRows))
        return { ok: false, reason: 'exists' } as const;
      await trx
        .insertInto('install_config')
        .values({ install_id: install.installId, ...configColumns(install) })
        .execute();
      await trx
        .insertInto('install_secrets')
        .values({ install_id: install.installId, ...secretsColumns(install) })
        .execute();
      await trx.insertInto('install_audit').values(auditRow(audit)).execute();
      return { ok: true } as const;
    });
  }

  async updateInstall(
    next: InstallRecord,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('installs')
        .set({ ...installColumns(next), revision: expectedRevision + 1 })
        .where('install_id', '=', next.installId)
        .where('tenant_id', '=', next.tenantId)
        .where('extension_id', '=', next.extensionId)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (!changed(result.numUpdatedRows)) return { ok: false, reason: 'conflict' } as const;
      await trx
        .updateTable('install_config')
        .set(configColumns(next))
        .where('install_id', '=', next.installId)
        .execute();
      await trx
        .updateTable('install_secrets')
        .set(secretsColumns(next))
        .where('install_id', '=', next.installId)
        .execute();
      await trx.insertInto('install_audit').values(auditRow(audit)).execute();
      return { ok: true } as const;
    });
  }

  async deleteInstall(
    installId: string,
    expectedRevision: number,
    audit: AuditEntry,
  ): Promise<InstallWriteResult> {
    return this.db.transaction().execute(async (trx) => {
      // Config and secrets rows go with it through ON DELETE CASCADE.
      const result = await trx
        .deleteFrom('installs')
        .where('install_id', '=', installId)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (!changed(result.numDeletedRows)) return { ok: false, reason: 'conflict' } as const;
      await trx.insertInto('install_audit').values(auditRow(audit)).execute();
      return { ok: true } as const;
    });
  }

  async listAudit(filter: { tenantId: string; extensionId?: string }): Promise<AuditEntry[]> {
    let query = this.db
      .selectFrom('install_audit')
      .selectAll()
      .where('tenant_id', '=', filter.tenantId);
    if (filter.extensionId !== undefined) {
      query = query.where('extension_id', '=', filter.extensionId);
    }
    const rows = await query.orderBy('id').execute();
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      extensionId: row.extension_id,
      installId: row.install_id,
      action: row.action as AuditAction,
      actor: row.actor,
      at: row.at,
      fromVersion: row.from_version ?? undefined,
      toVersion: row.to_version ?? undefined,
      detail: parseJson<Record<string, string[]>>(row.detail, `audit ${row.id} detail`),
    }));
  }

  async kvGet(scope: KvScope, key: string): Promise<KvEntry | undefined> {
    checkScope(scope);
    checkKey(key);
    const row = await this.db
      .selectFrom('kv')
      .select(['value', 'revision'])
      .where('tenant_id', '=', scope.tenantId)
      .where('extension_id', '=', scope.extensionId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { value: new Uint8Array(row.value), revision: Number(row.revision) };
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
    const size = utf8Length(key) + value.byteLength;
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const row = {
      tenant_id: scope.tenantId,
      extension_id: scope.extensionId,
      key,
      value: bytes,
      revision: 1,
      size,
    };
    if (expectedRevision === undefined) {
      const result = await this.db
        .insertInto('kv')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'extension_id', 'key']).doUpdateSet({
            value: (eb) => eb.ref('excluded.value'),
            size: (eb) => eb.ref('excluded.size'),
            revision: sql<number>`kv.revision + 1`,
          }),
        )
        .returning('revision')
        .executeTakeFirstOrThrow();
      return { ok: true, revision: Number(result.revision) };
    }
    if (expectedRevision === 0) {
      const result = await this.db
        .insertInto('kv')
        .values(row)
        .onConflict((oc) => oc.columns(['tenant_id', 'extension_id', 'key']).doNothing())
        .executeTakeFirst();
      return changed(result.numInsertedOrUpdatedRows)
        ? { ok: true, revision: 1 }
        : { ok: false, reason: 'conflict' };
    }
    const result = await this.db
      .updateTable('kv')
      .set({ value: bytes, size, revision: expectedRevision + 1 })
      .where('tenant_id', '=', scope.tenantId)
      .where('extension_id', '=', scope.extensionId)
      .where('key', '=', key)
      .where('revision', '=', expectedRevision)
      .executeTakeFirst();
    return changed(result.numUpdatedRows)
      ? { ok: true, revision: expectedRevision + 1 }
      : { ok: false, reason: 'conflict' };
  }

  async kvDelete(scope: KvScope, key: string, expectedRevision?: number): Promise<KvDeleteResult> {
    checkScope(scope);
    checkKey(key);
    checkRevision(expectedRevision);
    if (expectedRevision === 0) {
      // "Delete if absent" deletes nothing: it succeeds exactly when the key is absent.
      return (await this.kvGet(scope, key)) === undefined
        ? { ok: true, existed: false }
        : { ok: false, reason: 'conflict' };
    }
    let query = this.db
      .deleteFrom('kv')
      .where('tenant_id', '=', scope.tenantId)
      .where('extension_id', '=', scope.extensionId)
      .where('key', '=', key);
    if (expectedRevision !== undefined) query = query.where('revision', '=', expectedRevision);
    const deleted = changed((await query.executeTakeFirst()).numDeletedRows);
    if (expectedRevision !== undefined && !deleted) return { ok: false, reason: 'conflict' };
    return { ok: true, existed: deleted };
  }

  async kvList(
    scope: KvScope,
    options: { prefix: string; cursor?: string | undefined; limit: number },
  ): Promise<KvPage> {
    checkScope(scope);
    const { prefix, after, limit } = checkListOptions(options);
    let query = this.db
      .selectFrom('kv')
      .select('key')
      .where('tenant_id', '=', scope.tenantId)
      .where('extension_id', '=', scope.extensionId)
      .where('key', '>=', prefix);
    const bound = prefixUpperBound(prefix);
    if (bound !== undefined) query = query.where('key', '<', bound);
    if (after !== undefined) query = query.where('key', '>', after);
    const rows = await query
      .orderBy('key')
      .limit(limit + 1)
      .execute();
    const keys = rows.slice(0, limit).map((row) => row.key);
    const last = keys[keys.length - 1];
    return rows.length > limit && last !== undefined
      ? { keys, nextCursor: encodeCursor(last) }
      : { keys };
  }

  async kvUsage(scope: KvScope): Promise<{ keys: number; bytes: number }> {
    checkScope(scope);
    const row = await this.db
      .selectFrom('kv')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('keys'),
        eb.fn.coalesce(eb.fn.sum<number | string>('size'), sql<number>`0`).as('bytes'),
      ])
      .where('tenant_id', '=', scope.tenantId)
      .where('extension_id', '=', scope.extensionId)
      .executeTakeFirstOrThrow();
    return { keys: Number(row.keys), bytes: Number(row.bytes) };
  }

  async appendExecutionLogs(rows: readonly ExecutionLogRow[]): Promise<void> {
    checkExecutionLogRows(rows);
    if (rows.length === 0) return;
    await this.db
      .insertInto('execution_logs')
      .values(
        rows.map((row) => ({
          request_id: row.requestId,
          tenant_id: row.tenantId,
          extension_id: row.extensionId,
          install_id: row.installId,
          version: row.version,
          content_hash: row.contentHash,
          started_at: row.startedAt,
          duration_ms: row.durationMs,
          status: row.status,
          outcome: row.outcome,
          memory_bytes: row.memoryBytes,
          egress_bytes: row.egressBytes,
        })),
      )
      .execute();
  }

  async listExecutionLogs(filter: {
    tenantId: string;
    extensionId?: string;
    limit?: number;
  }): Promise<ExecutionLogRow[]> {
    let query = this.db
      .selectFrom('execution_logs')
      .selectAll()
      .where('tenant_id', '=', filter.tenantId);
    if (filter.extensionId !== undefined) {
      query = query.where('extension_id', '=', filter.extensionId);
    }
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toLogRow);
  }

  async addQuotaUsage(rows: readonly QuotaUsageRow[]): Promise<void> {
    checkQuotaUsageRows(rows);
    // One INSERT may not touch a row twice (PostgreSQL refuses), so sum duplicates first.
    const sums = new Map<string, QuotaUsageRow>();
    for (const row of rows) {
      const key = JSON.stringify([row.tenantId, row.extensionId, row.windowStart, row.metric]);
      const seen = sums.get(key);
      sums.set(key, seen ? { ...seen, amount: seen.amount + row.amount } : row);
    }
    if (sums.size === 0) return;
    await this.db
      .insertInto('quota_usage')
      .values(
        [...sums.values()].map((row) => ({
          tenant_id: row.tenantId,
          extension_id: row.extensionId,
          window_start: row.windowStart,
          metric: row.metric,
          amount: row.amount,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'extension_id', 'window_start', 'metric']).doUpdateSet({
          amount: sql<number>`quota_usage.amount + excluded.amount`,
        }),
      )
      .execute();
  }

  async getQuotaUsage(key: Omit<QuotaUsageRow, 'amount'>): Promise<number> {
    const row = await this.db
      .selectFrom('quota_usage')
      .select('amount')
      .where('tenant_id', '=', key.tenantId)
      .where('extension_id', '=', key.extensionId)
      .where('window_start', '=', key.windowStart)
      .where('metric', '=', key.metric)
      .executeTakeFirst();
    return row ? Number(row.amount) : 0;
  }
}
