/**
 * `ticketd db copy`: moves a desk from SQLite to PostgreSQL (issue 18). Every table, parents before children, rows
 * in primary-key order, in one transaction on each side: the source's write lock holds a running daemon still
 * (the copy is a consistent snapshot), and the target gets all or nothing. Identity sequences are moved past the
 * copied ids, so the next row PostgreSQL numbers does not collide. Then each table is verified: the row count and
 * a digest of its rows read back from both databases as JS values (the sum of each row's SHA-256).
 *
 * Raw mail and attachments are files in the store folder, named by their hash: `copyStoreFiles` puts the ones the
 * rows point at into PostgreSQL's `blobs`, for instances without a shared storage.path.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { asc, count, getTableColumns, gt, sql } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { createBlobStore } from '../modules/store/blob-store.js';
import { createSharedBlobStore } from '../modules/store/shared-blob-store.js';
import { attachments } from '../modules/tickets/tickets.tables.js';
import type { Db } from '../shared/db.js';
import { rawNumber, rawRows } from '../shared/db-results.js';

export type TableCopy = { table: string; rows: number; sourceSha256: string; targetSha256: string; targetRows: number; same: boolean };
export type CopyReport = { tables: TableCopy[]; rows: number; same: boolean };

/** Tables ordered so that every table comes after the tables its foreign keys point at. */
export function parentsFirst(tables: readonly SQLiteTable[]): SQLiteTable[] {
  const ordered: SQLiteTable[] = [];
  const visiting = new Set<SQLiteTable>();
  const visit = (table: SQLiteTable) => {
    if (ordered.includes(table)) return;
    if (visiting.has(table)) throw new Error(`foreign keys form a cycle through ${getTableConfig(table).name}`);
    visiting.add(table);
    for (const key of getTableConfig(table).foreignKeys) {
      const parent = key.reference().foreignTable;
      if (parent !== table && tables.includes(parent)) visit(parent);
    }
    visiting.delete(table);
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

function primaryKeyOf(table: SQLiteTable): { key: string; column: SQLiteColumn; identity: boolean } {
  const entry = Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>).find(([, column]) => column.primary);
  if (!entry) throw new Error(`table ${getTableConfig(table).name} has no single-column primary key to copy in order`);
  const [key, column] = entry;
  return { key, column, identity: Boolean((column as unknown as { autoIncrement?: boolean }).autoIncrement) };
}

/** A row as canonical JSON: keys in column order, Dates as ISO text (what both dialects hand back alike). */
function canonical(row: Record<string, unknown>, keys: readonly string[]): string {
  return JSON.stringify(keys.map((key) => {
    const value = row[key];
    return value instanceof Date ? value.toISOString() : (value ?? null);
  }));
}

async function* rowsInKeyOrder(db: Db, table: SQLiteTable, batchSize: number): AsyncGenerator<Array<Record<string, unknown>>> {
  const [own] = Object.values(db.tables({ table })) as [SQLiteTable];
  const { key } = primaryKeyOf(table);
  const column = (getTableColumns(own) as Record<string, SQLiteColumn>)[key] as SQLiteColumn;
  let after: unknown;
  for (;;) {
    const query = db.select().from(own);
    const rows = (await (after === undefined ? query : query.where(gt(column, after))).orderBy(asc(column)).limit(batchSize)) as Array<Record<string, unknown>>;
    if (rows.length === 0) return;
    yield rows;
    after = rows.at(-1)?.[key];
    if (rows.length < batchSize) return;
  }
}

const MOD_256 = 1n << 256n;

/**
 * The rows' digest: the sum (mod 2^256) of each row's SHA-256, so it does not depend on the order the database
 * sorts text keys in (SQLite by bytes, PostgreSQL by its collation).
 */
async function tableDigest(db: Db, table: SQLiteTable, batchSize: number): Promise<{ rows: number; sha256: string }> {
  const keys = Object.keys(getTableColumns(table));
  let sum = 0n;
  let rows = 0;
  for await (const batch of rowsInKeyOrder(db, table, batchSize)) {
    for (const row of batch) sum = (sum + BigInt(`0x${createHash('sha256').update(canonical(row, keys)).digest('hex')}`)) % MOD_256;
    rows += batch.length;
  }
  return { rows, sha256: sum.toString(16).padStart(64, '0') };
}

async function countRows(db: Db, table: SQLiteTable): Promise<number> {
  const [own] = Object.values(db.tables({ table })) as [SQLiteTable];
  const [row] = await db.select({ rows: count() }).from(own);
  return rawNumber(row?.rows ?? 0);
}

/**
 * Copies every row of `tables` from `from` (SQLite) into `to` (an empty PostgreSQL database with its migrations
 * applied), then verifies. Refuses a target that holds any row: a copy merges nothing.
 */
export async function copyDatabase({
  from,
  to,
  tables,
  batchSize = 500,
  onProgress = () => undefined,
}: {
  from: Db;
  to: Db;
  tables: readonly SQLiteTable[];
  batchSize?: number;
  onProgress?: (progress: { table: string; done: number; total: number }) => void;
}): Promise<CopyReport> {
  if (to.dialect !== 'postgresql') throw new Error('the target of a copy must be a PostgreSQL database (postgres://...)');
  const ordered = parentsFirst(tables);
  for (const table of ordered) {
    const present = await countRows(to, table);
    if (present > 0) throw new Error(`the target already holds data (${present} rows in ${getTableConfig(table).name}): copy into an empty database`);
  }

  await from.transaction(async () => {
    const counts = await Promise.all(ordered.map((table) => countRows(from, table)));
    const total = counts.reduce((sum, rows) => sum + rows, 0);
    let done = 0;
    onProgress({ table: '', done, total });
    await to.transaction(async () => {
      for (const table of ordered) {
        const [target] = Object.values(to.tables({ table })) as [SQLiteTable];
        const name = getTableConfig(table).name;
        for await (const batch of rowsInKeyOrder(from, table, batchSize)) {
          await to.insert(target).values(batch as never);
          done += batch.length;
          onProgress({ table: name, done, total });
        }
        const { column, identity } = primaryKeyOf(table);
        // The next id PostgreSQL hands out comes after the copied ones (identity columns take explicit ids as they are).
        if (identity) await rawRows(to, sql`select setval(pg_get_serial_sequence(${name}, ${column.name}), coalesce((select max(${sql.identifier(column.name)}) from ${sql.identifier(name)}), 0) + 1, false) as "next"`);
      }
    });
  });

  return compareDatabases({ from, to, tables: ordered, batchSize });
}

/** Per table: the row count and the digest of its rows on both sides. */
export async function compareDatabases({ from, to, tables, batchSize = 500 }: { from: Db; to: Db; tables: readonly SQLiteTable[]; batchSize?: number }): Promise<CopyReport> {
  const report: TableCopy[] = [];
  for (const table of tables) {
    const [source, target] = await Promise.all([tableDigest(from, table, batchSize), tableDigest(to, table, batchSize)]);
    report.push({ table: getTableConfig(table).name, rows: source.rows, sourceSha256: source.sha256, targetRows: target.rows, targetSha256: target.sha256, same: source.rows === target.rows && source.sha256 === target.sha256 });
  }
  return { tables: report, rows: report.reduce((sum, entry) => sum + entry.rows, 0), same: report.every((entry) => entry.same) };
}

export type StoreCopy = { store: 'raw' | 'attachments'; blobs: number; copied: number; missing: string[] };

/**
 * The raw mail and attachments the copied rows point at, from the SQLite desk's store folder into PostgreSQL's
 * `blobs` (what instances on PostgreSQL without a shared storage.path read). A file already there is skipped; a
 * referenced file missing from the folder is named in `missing` (the row stays; reprocessing it will say so).
 */
export async function copyStoreFiles({ from, to, storageDir, onProgress = () => undefined }: { from: Db; to: Db; storageDir: string; onProgress?: (progress: { done: number; total: number }) => void }): Promise<StoreCopy[]> {
  const t = from.tables({ inboundMessages, attachments });
  const referenced = {
    raw: await from.selectDistinct({ sha256: t.inboundMessages.rawSha256, size: t.inboundMessages.size }).from(t.inboundMessages),
    attachments: await from.selectDistinct({ sha256: t.attachments.sha256, size: t.attachments.size }).from(t.attachments),
  };
  const total = referenced.raw.length + referenced.attachments.length;
  let done = 0;
  const report: StoreCopy[] = [];
  for (const store of ['raw', 'attachments'] as const) {
    const files = createBlobStore({ dir: path.join(storageDir, store), compress: store === 'raw' });
    const shared = createSharedBlobStore({ files, db: to, store });
    const entry: StoreCopy = { store, blobs: 0, copied: 0, missing: [] };
    const seen = new Set<string>();
    for (const { sha256, size } of referenced[store]) {
      done += 1;
      if (seen.has(sha256)) continue;
      seen.add(sha256);
      entry.blobs += 1;
      if (!files.has(sha256)) entry.missing.push(sha256);
      else {
        await shared.adopt({ sha256, size });
        entry.copied += 1;
      }
      onProgress({ done, total });
    }
    report.push(entry);
  }
  return report;
}
