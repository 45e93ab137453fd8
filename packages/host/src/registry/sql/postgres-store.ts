import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { RegistryError, RegistryErrorCode } from '../errors.js';
import type { RegistryDatabase } from './schema.js';
import { SqlRegistryStore } from './sql-store.js';

/** Options of {@link PostgresRegistryStore}. */
export type PostgresRegistryStoreOptions =
  | {
      /** `postgres://user@host:5432/db`. */
      readonly connectionString: string;
      /** Schema holding the registry tables, created on `open()` (default `public`). */
      readonly schema?: string;
      /** Pool size (default 10). */
      readonly maxConnections?: number;
    }
  | {
      /** A pool whose connections' `search_path` leads to `schema`; `close()` ends it. */
      readonly pool: pg.Pool;
      readonly schema?: string;
    };

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The scale-out {@link RegistryStore}: PostgreSQL through `pg`, shared by every host replica.
 * Tables live in `schema` (created on `open()`), so several registries can share one database.
 *
 * @example
 * const store = new PostgresRegistryStore({ connectionString: process.env.DATABASE_URL!, schema: 'alga' });
 * await store.open();
 */
export class PostgresRegistryStore extends SqlRegistryStore {
  /** The schema holding the tables. */
  readonly schema: string;

  constructor(options: PostgresRegistryStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(schema)) {
      throw new RegistryError(
        RegistryErrorCode.INVALID_ARGUMENT,
        `PostgreSQL schema "${schema}": use 1-63 of a-z, 0-9 and _, starting with a letter or _.`,
      );
    }
    const pool =
      'pool' in options
        ? options.pool
        : new pg.Pool({
            connectionString: options.connectionString,
            max: options.maxConnections ?? 10,
            // Unqualified table names resolve in our schema on every pooled connection.
            options: `-c search_path=${schema}`,
          });
    super(
      new Kysely<RegistryDatabase>({ dialect: new PostgresDialect({ pool }) }),
      'postgres',
      schema,
    );
    this.schema = schema;
  }

  protected override async prepare(): Promise<void> {
    try {
      await sql`create schema if not exists ${sql.id(this.schema)}`.execute(this.db);
    } catch (cause) {
      throw new RegistryError(
        RegistryErrorCode.STORE_FAILED,
        `PostgreSQL registry cannot create schema ${this.schema}; check the server is reachable and the role may create schemas.`,
        { cause },
      );
    }
  }
}
