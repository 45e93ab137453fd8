import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { RegistryError, RegistryErrorCode } from '../errors.js';
import type { RegistryDatabase } from './schema.js';
import { SqlRegistryStore } from './sql-store.js';

/**
 * Kysely opens SQLite transactions with a deferred `begin`: two processes that both read and
 * then write fail at once with SQLITE_BUSY (no busy wait applies to a stale WAL snapshot).
 * `begin immediate` takes the write lock first, so writers queue on `busy_timeout` instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Options of {@link SqliteRegistryStore}: a database file, or a data dir to keep `registry.sqlite` in. */
export type SqliteRegistryStoreOptions =
  | { readonly path: string; readonly dataDir?: never }
  | { readonly dataDir: string; readonly path?: never };

/**
 * The embedded default {@link RegistryStore}: one SQLite file (WAL mode) through better-sqlite3,
 * no server. `path: ':memory:'` gives a private in-memory database. Use one store per process:
 * better-sqlite3 waits for locks synchronously, so two stores on one file in one process can
 * block each other; several processes sharing the file queue on `busy_timeout` (5 s).
 *
 * @example
 * const store = new SqliteRegistryStore({ dataDir: '/var/lib/my-host' });
 * await store.open(); // creates /var/lib/my-host/registry.sqlite and migrates it
 */
export class SqliteRegistryStore extends SqlRegistryStore {
  /** The database file (or `:memory:`). */
  readonly path: string;

  constructor(options: SqliteRegistryStoreOptions) {
    const path = options.path ?? join(options.dataDir ?? '.', 'registry.sqlite');
    let database: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      database = new Database(path);
      database.pragma('journal_mode = WAL');
      database.pragma('busy_timeout = 5000');
      database.pragma('foreign_keys = ON');
      database.pragma('synchronous = NORMAL');
    } catch (cause) {
      throw new RegistryError(
        RegistryErrorCode.STORE_FAILED,
        `SQLite registry ${path} cannot be opened; check the path is a writable file.`,
        { cause },
      );
    }
    super(
      new Kysely<RegistryDatabase>({ dialect: new ImmediateSqliteDialect({ database }) }),
      'sqlite',
    );
    this.path = path;
  }
}
