/**
 * SQLite behind an async transaction API (issue 18, step 1 of docs/postgresql-plan.md): the shape the repositories
 * take so the same code runs on PostgreSQL, where every query is awaited. Not wired into the daemon yet: the
 * repositories move onto it in one step, since a half-converted process would be unsafe (below).
 *
 * Two connections to one WAL file:
 * - the writer runs `transaction(work)` one at a time, in call order, with BEGIN IMMEDIATE ... COMMIT issued here.
 *   `work` may await, so another piece of code may run between two of its statements; on a single connection that
 *   code's queries would land inside the open transaction (reading uncommitted rows, or writing into it). So:
 * - everything outside a transaction reads through the second, read-only connection: it sees only what was
 *   committed, and a write there fails loudly (SQLITE_READONLY) instead of slipping into someone's transaction.
 * `current()` answers the right one from the async context (AsyncLocalStorage). A `transaction` called inside
 * another joins it as a savepoint: its failure rolls back only its own part.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder, type Db } from './db.js';

// `nested`: the tail of the transaction's own savepoints, which run one at a time too.
type Scope = { open: boolean; savepoints: number; nested: Promise<unknown> };

export type AsyncDatabase = {
  /** Runs `work` in one write transaction (FIFO with the others); nested, in a savepoint of the outer one. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Inside a transaction: its connection. Outside: the read-only connection, which sees committed rows only. */
  current(): Db;
  close(): void;
};

export function openAsyncDatabase({ path, synchronous = 'NORMAL' }: { path: string; synchronous?: 'NORMAL' | 'FULL' }): AsyncDatabase {
  if (path === ':memory:') throw new Error('openAsyncDatabase needs a file: an in-memory database has no second connection to read committed rows from');
  mkdirSync(dirname(path), { recursive: true });
  const writerClient = new Database(path);
  writerClient.pragma('journal_mode = WAL');
  writerClient.pragma(`synchronous = ${synchronous}`);
  writerClient.pragma('foreign_keys = ON');
  writerClient.pragma('busy_timeout = 5000');
  const writer = drizzle(writerClient) as Db;
  migrate(writer, { migrationsFolder });
  const readerClient = new Database(path, { readonly: true, fileMustExist: true });
  readerClient.pragma('busy_timeout = 5000');
  const reader = drizzle(readerClient) as Db;

  const scopes = new AsyncLocalStorage<Scope>();
  // The tail of the queue of transactions: each starts once the one before it has settled.
  let queue: Promise<unknown> = Promise.resolve();

  function inSavepoint<T>(scope: Scope, work: () => Promise<T>): Promise<T> {
    const run = scope.nested.then(() => savepoint(scope, work));
    scope.nested = run.catch(() => undefined);
    return run;
  }

  async function savepoint<T>(scope: Scope, work: () => Promise<T>): Promise<T> {
    if (!scope.open) throw new Error('a nested transaction outlived the transaction it was started in');
    const name = `nested_${(scope.savepoints += 1)}`;
    writerClient.exec(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      writerClient.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      writerClient.exec(`ROLLBACK TO ${name}`);
      writerClient.exec(`RELEASE ${name}`);
      throw error;
    }
  }

  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    const scope: Scope = { open: true, savepoints: 0, nested: Promise.resolve() };
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
      scope.open = false;
    }
  }

  function transaction<T>(work: () => Promise<T>): Promise<T> {
    const scope = scopes.getStore();
    if (scope?.open) return inSavepoint(scope, work);
    const run = queue.then(() => inTransaction(work));
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    transaction,
    current: () => (scopes.getStore()?.open ? writer : reader),
    close() {
      readerClient.close();
      writerClient.close();
    },
  };
}
