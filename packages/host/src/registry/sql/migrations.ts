import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

/** The SQL dialects the registry store runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * Versioned migrations, applied in name order on `open()`. The same code serves both dialects;
 * where they differ (auto ids, bytes, the key collation) the dialect picks the type. Never edit
 * a released migration: add the next one.
 */
export function registryMigrations(dialect: SqlDialectName): MigrationProvider {
  const pg = dialect === 'postgres';
  const autoId = pg ? sql`bigserial` : sql`integer`;
  const bytes = pg ? sql`bytea` : sql`blob`;
  // KV keys sort by code point on both: PostgreSQL's "C" collation equals SQLite's BINARY.
  const keyText = pg ? sql`text collate "C"` : sql`text`;

  const init: Migration = {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('extensions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('publisher', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('extension_versions')
        .addColumn('extension_id', 'text', (c) => c.notNull().references('extensions.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('manifest', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('publisher_key_id', 'text', (c) => c.notNull())
        .addColumn('publisher', 'text', (c) => c.notNull())
        .addColumn('bundle_size', 'bigint', (c) => c.notNull())
        .addColumn('component_size', 'bigint', (c) => c.notNull())
        .addColumn('published_at', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('extension_versions_pk', ['extension_id', 'version'])
        .execute();

      await db.schema
        .createTable('installs')
        .addColumn('install_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('extension_id', 'text', (c) => c.notNull().references('extensions.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('grants', 'text', (c) => c.notNull())
        .addColumn('egress', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('installs_tenant_extension_uq', ['tenant_id', 'extension_id'])
        .execute();

      await db.schema
        .createTable('install_config')
        .addColumn('install_id', 'text', (c) =>
          c.primaryKey().references('installs.install_id').onDelete('cascade'),
        )
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('install_secrets')
        .addColumn('install_id', 'text', (c) =>
          c.primaryKey().references('installs.install_id').onDelete('cascade'),
        )
        .addColumn('envelope', 'text')
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      // No foreign key to installs: the trail outlives an uninstall.
      await db.schema
        .createTable('install_audit')
        .addColumn('id', autoId, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('extension_id', 'text', (c) => c.notNull())
        .addColumn('install_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('from_version', 'text')
        .addColumn('to_version', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('install_audit_tenant_idx')
        .on('install_audit')
        .columns(['tenant_id', 'extension_id', 'id'])
        .execute();

      await db.schema
        .createTable('kv')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('extension_id', 'text', (c) => c.notNull())
        .addColumn('key', keyText, (c) => c.notNull())
        .addColumn('value', bytes, (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('kv_pk', ['tenant_id', 'extension_id', 'key'])
        .execute();

      await db.schema
        .createTable('execution_logs')
        .addColumn('id', autoId, (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('extension_id', 'text', (c) => c.notNull())
        .addColumn('install_id', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('duration_ms', 'bigint', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('memory_bytes', 'bigint', (c) => c.notNull())
        .addColumn('egress_bytes', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('execution_logs_tenant_idx')
        .on('execution_logs')
        .columns(['tenant_id', 'extension_id', 'started_at'])
        .execute();

      await db.schema
        .createTable('quota_usage')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('extension_id', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('amount', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('quota_usage_pk', [
          'tenant_id',
          'extension_id',
          'window_start',
          'metric',
        ])
        .execute();
    },
  };

  return { getMigrations: async () => ({ '0001_init': init }) };
}
