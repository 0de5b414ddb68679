/**
 * The database the config names (issue 18): `database.url` (postgres://) selects PostgreSQL, otherwise SQLite at
 * `database.path`. Both adapters apply their pending migrations on open and hand out the same `Db`.
 */
import type { PgTable } from 'drizzle-orm/pg-core';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Config } from '../config/config.schema.js';
import { openDatabase, type Db } from '../shared/db.js';
import { openPostgresDatabase, redactedUrl } from '../shared/postgres-db.js';
import { postgresTables, sqliteTables } from './postgres.schema.js';

/** Each SQLite table's PostgreSQL twin, for `db.tables()`. */
export const postgresTwins: ReadonlyMap<SQLiteTable, PgTable> = new Map(Object.entries(sqliteTables).map(([name, table]) => [table, postgresTables[name] as PgTable]));

export function openPostgres({ url, poolSize }: { url: string; poolSize?: number }): Promise<Db> {
  return openPostgresDatabase({ url, poolSize, twins: postgresTwins });
}

/** `synchronous` is SQLite's (see openDatabase); a PostgreSQL commit is durable when it returns. */
export async function openConfiguredDatabase({ database }: Pick<Config, 'database'>, { synchronous }: { synchronous?: 'NORMAL' | 'FULL' } = {}): Promise<Db> {
  if (database.url) return openPostgres({ url: database.url });
  return openDatabase({ path: database.path, synchronous });
}

/** What to call the database in messages: the SQLite file, or the PostgreSQL URL without its password. */
export function describeDatabase({ database }: Pick<Config, 'database'>): string {
  return database.url ? redactedUrl(database.url) : database.path;
}
