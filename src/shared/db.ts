import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { withContextConnection } from './context-connection.js';

/** drizzle over one better-sqlite3 connection. */
export type SqliteDb = BetterSQLite3Database & { $client: Sqlite.Database };

/**
 * The database the repositories and use cases are given (issue 18, step 1 of docs/postgresql-plan.md): drizzle's
 * query builders, answered by the connection of the current async context, and transactions that may `await`.
 * - `transaction(work)`: one write transaction (BEGIN IMMEDIATE), run one at a time in call order; `work` may await.
 *   Called inside another, it is a savepoint of it: its failure undoes only its own part.
 * - `write(work)`: a single write: inside a transaction it joins it, outside it runs in its own.
 * - queries outside a transaction read from a read-only connection that sees committed rows only; a write there
 *   fails loudly (SQLITE_READONLY) instead of slipping into somebody else's open transaction.
 */
export type Db = Omit<SqliteDb, 'transaction'> & {
  /** Which adapter answers: db.ts (SQLite) or postgres-db.ts (PostgreSQL). Raw SQL that differs asks this. */
  readonly dialect: Dialect;
  /**
   * The tables to build queries with on this database: the SQLite tables themselves, or on PostgreSQL their
   * converted twins (src/shared/postgres-tables.ts), typed as the SQLite ones (their JS values are the same;
   * src/app/postgres.schema.test.ts checks it row by row). Repositories take their tables through it.
   */
  tables<T extends Record<string, SQLiteTable>>(tables: T): T;
  transaction<T>(work: () => T | Promise<T>): Promise<T>;
  write<T>(work: () => T | Promise<T>): Promise<T>;
  /** The file, or ':memory:' for a private database in a temporary file removed on close. */
  readonly path: string;
  /** SQLite only: the writer connection itself, for checks that must look at it (readiness, pragmas); never for queries. */
  readonly $writer?: Sqlite.Database;
  /** drizzle over the connection of the caller's context (what every query on this object uses). */
  $connection(): SqliteDb;
  close(): Promise<void>;
};

export type Dialect = 'sqlite' | 'postgresql';

/** The drizzle-kit migrations folder, found from this file in src/ (tests) and in dist/ (built) alike. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

// One per transaction: open until it commits or rolls back; savepoints numbered across it.
type Root = { open: boolean; savepoints: number };
// One per level (the transaction, each savepoint): `nested` is the tail of this level's own savepoints, which run
// one at a time. Each savepoint's work runs in a scope of its own, so its children queue behind each other, not
// behind their parent (which waits for them).
type Scope = { root: Root; nested: Promise<unknown> };

// `:memory:` databases still open, by their close: the test setup closes what a test file left open
// (test/support/close-databases.ts), so no temporary file outlives its test file.
const openTemporaries = new Set<() => void>();

/** Closes every `:memory:` database still open and removes its temporary file. For test teardown. */
export function closeTemporaryDatabases(): void {
  for (const close of [...openTemporaries]) close();
}
/**
 * Opens (creating if needed) the SQLite database and applies pending migrations.
 *
 * Two connections to one WAL file, because transactions may await: between two awaits of an open transaction,
 * another piece of code may run, and on a single connection its queries would land inside that transaction
 * (reading uncommitted rows, or writing into it). So the writer connection runs transactions only, one at a time,
 * and everything outside a transaction reads through the read-only connection. The connection for a query is
 * chosen from the async context (AsyncLocalStorage), so repositories just use `db`.
 *
 * `synchronous`: NORMAL (WAL) survives a process crash; a power cut may roll back the last commits. That is
 * safe while handled mail stays in the watched folder (flagged): the cursor rolls back with them and the mail
 * is read again. FULL makes each commit durable before it returns; the daemon uses it when handled mail is
 * MOVED away (imap.processedFolder), since a rolled-back commit would then leave mail nobody reads again.
 *
 * `:memory:` (tests, one-off commands) gets a private temporary file, removed on `close()`: an in-memory database
 * has no second connection, and the two-connection behaviour is the one worth testing.
 */
export function openDatabase({ path, synchronous = 'NORMAL' }: { path: string; synchronous?: 'NORMAL' | 'FULL' }): Db {
  const temporary = path === ':memory:' ? mkdtempSync(join(tmpdir(), 'ticketd-db-')) : undefined;
  const file = temporary ? join(temporary, 'ticketd.sqlite') : path;
  if (!temporary) mkdirSync(dirname(file), { recursive: true });
  const writerClient = new Sqlite(file);
  // The busy timeout first: switching a new file to WAL takes a lock another instance starting beside this one may hold.
  writerClient.pragma('busy_timeout = 5000');
  whileBusy(() => writerClient.pragma('journal_mode = WAL'));
  writerClient.pragma(`synchronous = ${synchronous}`);
  writerClient.pragma('foreign_keys = ON');
  cachePreparedStatements(writerClient);
  const writer = drizzle(writerClient) as SqliteDb;
  // Instances opening one new file together: the migrator reads what is applied before it takes the write lock, so
  // the second one waits for the first and then creates the tables again ("already exists"), or meets the first's
  // lock with SQLITE_BUSY when upgrading its read lock. Its transaction is rolled back; tried again, it finds
  // nothing pending (test/sqlite-open-together.e2e.test.ts).
  whileBusy(() => migrate(writer, { migrationsFolder }), (error) => /already exists/.test(`${String(error)} ${String((error as { cause?: unknown }).cause)}`));
  const readerClient = new Sqlite(file, { readonly: true, fileMustExist: true });
  readerClient.pragma('busy_timeout = 5000');
  cachePreparedStatements(readerClient);
  const reader = drizzle(readerClient) as SqliteDb;

  const scopes = new AsyncLocalStorage<Scope>();
  // The tail of the queue of transactions: each starts once the one before it has settled.
  let queue: Promise<unknown> = Promise.resolve();

  function inSavepoint<T>(scope: Scope, work: () => T | Promise<T>): Promise<T> {
    const run = scope.nested.then(() => savepoint(scope, work));
    scope.nested = run.catch(() => undefined);
    return run;
  }

  async function savepoint<T>(scope: Scope, work: () => T | Promise<T>): Promise<T> {
    if (!scope.root.open) throw new Error('a nested transaction outlived the transaction it was started in');
    const name = `nested_${(scope.root.savepoints += 1)}`;
    writerClient.exec(`SAVEPOINT ${name}`);
    const own: Scope = { root: scope.root, nested: Promise.resolve() };
    try {
      const result = await scopes.run(own, work);
      // Its own savepoints started but not awaited finish before it is released.
      await own.nested;
      writerClient.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      writerClient.exec(`ROLLBACK TO ${name}`);
      writerClient.exec(`RELEASE ${name}`);
      throw error;
    }
  }

  async function inTransaction<T>(work: () => T | Promise<T>): Promise<T> {
    const scope: Scope = { root: { open: true, savepoints: 0 }, nested: Promise.resolve() };
    writerClient.exec('BEGIN IMMEDIATE');
    try {
      const result = await scopes.run(scope, work);
      // Savepoints started but not awaited by `work` finish before the commit.
      await scope.nested;
      writerClient.exec('COMMIT');
      return result;
    } catch (error) {
      if (writerClient.inTransaction) writerClient.exec('ROLLBACK');
      throw error;
    } finally {
      // Work started inside but not awaited keeps this context; once closed, it reads like code outside.
      scope.root.open = false;
    }
  }

  function transaction<T>(work: () => T | Promise<T>): Promise<T> {
    const scope = scopes.getStore();
    if (scope?.root.open) return inSavepoint(scope, work);
    const run = queue.then(() => inTransaction(work));
    queue = run.catch(() => undefined);
    return run;
  }

  async function write<T>(work: () => T | Promise<T>): Promise<T> {
    if (scopes.getStore()?.root.open) return work();
    return transaction(work);
  }

  const current = (): SqliteDb => (scopes.getStore()?.root.open ? writer : reader);
  let closed = false;
  function close(): void {
    if (closed) return;
    closed = true;
    openTemporaries.delete(close);
    readerClient.close();
    writerClient.close();
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
  if (temporary) openTemporaries.add(close);
  const own = { dialect: 'sqlite' as const, tables: <T>(tables: T) => tables, transaction, write, path, $writer: writerClient, $connection: current, close: async () => close() };
  return withContextConnection(own, current) as unknown as Db;
}

/**
 * drizzle prepares every query it runs anew (`client.prepare(sql)` per execution): on the ingest path that was
 * a quarter of the SQLite time (1.2 ms of ~4 ms per message in the backlog profile). Statements are reusable,
 * so `prepare` keeps the most recent ones by SQL text. A cached statement is handed back as a fresh one would
 * be: raw mode off (drizzle switches it on right before the calls that want arrays). Nothing in ticketd
 * iterates a statement (which would keep it busy), so sharing one is safe.
 */
function cachePreparedStatements(sqlite: Sqlite.Database, capacity = 500): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Sqlite.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement) {
      // Most recently used last: Map keeps insertion order, so the first key is the least recently used.
      cache.delete(source);
      if (statement.reader) statement.raw(false);
    } else {
      statement = prepare(source);
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, statement);
    return statement;
  }) as Sqlite.Database['prepare'];
}

export async function closeDatabase(db: Db): Promise<void> {
  await db.close();
}

/**
 * Runs `work` again while SQLite answers SQLITE_BUSY (or `alsoRetry` says so), for up to about 10 s: start-up
 * only, it blocks the thread.
 */
function whileBusy<T>(work: () => T, alsoRetry: (error: unknown) => boolean = () => false): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return work();
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY' || ((error as { cause?: { code?: string } }).cause?.code ?? '') === 'SQLITE_BUSY';
      if ((!busy && !alsoRetry(error)) || attempt >= 100) throw error;
      Atomics.wait(pause, 0, 0, 100);
    }
  }
}
