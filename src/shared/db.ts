import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';

export type Db = BetterSQLite3Database & { $client: Database.Database };

/** The drizzle-kit migrations folder, found from this file in src/ (tests) and in dist/ (built) alike. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Opens (creating if needed) the SQLite database and applies pending migrations. One connection per
 * process; WAL so CLI reads do not block the daemon's writes.
 *
 * `synchronous`: NORMAL (WAL) survives a process crash; a power cut may roll back the last commits. That is
 * safe while handled mail stays in the watched folder (flagged): the cursor rolls back with them and the mail
 * is read again. FULL makes each commit durable before it returns; the daemon uses it when handled mail is
 * MOVED away (imap.processedFolder), since a rolled-back commit would then leave mail nobody reads again.
 */
export function openDatabase({ path, synchronous = 'NORMAL' }: { path: string; synchronous?: 'NORMAL' | 'FULL' }): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite) as Db;
  migrate(db, { migrationsFolder });
  return db;
}

export function closeDatabase(db: Db): void {
  if (db.$client.open) db.$client.close();
}
