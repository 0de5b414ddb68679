/**
 * What drizzle answers differs by dialect where a repository looks at it directly (issue 18): these read both.
 * Repositories await drizzle's builders (never better-sqlite3's `.get()`, `.all()`, `.run()`, which PostgreSQL
 * has not) and go through these for what is left.
 */
import type { SQL } from 'drizzle-orm';
import type { Db } from './db.js';

/** The first row of an awaited select or `returning()`, or undefined. */
export function firstRow<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}

/** The first row of an awaited `returning()` that must have one (an insert without a conflict clause). */
export function onlyRow<T>(rows: readonly T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}

/** Rows an awaited insert, update or delete changed: better-sqlite3's `changes`, node-postgres' `rowCount`. */
export function changedRows(result: unknown): number {
  const { changes, rowCount } = result as { changes?: number | bigint; rowCount?: number | null };
  if (changes !== undefined) return Number(changes);
  if (rowCount !== undefined && rowCount !== null) return rowCount;
  throw new Error('the database driver reported no count of changed rows');
}

/**
 * Rows of raw SQL, read on the connection of the caller's context. Name every output column with a quoted alias
 * (`as "messageId"`: PostgreSQL folds unquoted names to lower case), and read the values through `rawNumber`,
 * `rawDate`, `rawBoolean`: PostgreSQL answers counts as strings, timestamps as Dates and booleans as booleans
 * where SQLite answers numbers.
 */
export async function rawRows<T>(db: Db, query: SQL): Promise<T[]> {
  if (db.dialect === 'sqlite') return db.all<T>(query);
  const result = (await (db as unknown as { execute(query: SQL): Promise<{ rows: T[] }> }).execute(query)) as { rows: T[] };
  return result.rows;
}

/** A raw number (SQLite: number; PostgreSQL: number, or a string for bigint and count). */
export function rawNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new Error(`expected a number from the database, got ${typeof value}`);
}

/** A raw timestamp (SQLite: milliseconds; PostgreSQL: a Date, or an ISO string). */
export function rawDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'string') return new Date(value);
  throw new Error(`expected a timestamp from the database, got ${typeof value}`);
}

/** A raw boolean (SQLite: 0 or 1; PostgreSQL: a boolean). */
export function rawBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}
