import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getTableColumns, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, migrationsFolder, openDatabase, type Db } from '../shared/db.js';
import { postgresTables, sqliteTables } from './postgres.schema.js';
import { createTestPostgresDatabase } from '../../test/support/test-database.js';

const PROJECT = path.resolve(import.meta.dirname, '../..');
const POSTGRES_MIGRATIONS = path.join(migrationsFolder, 'postgres');

let pool: pg.Pool;
let sqlite: Db;

beforeAll(async () => {
  // A database of its own on the run's PostgreSQL; the SQLite side is compared with it, so both run in either run.
  pool = new pg.Pool({ connectionString: await createTestPostgresDatabase() });
  await migrate(drizzle(pool), { migrationsFolder: POSTGRES_MIGRATIONS });
  sqlite = openDatabase({ path: ':memory:' });
}, 60_000);

afterAll(async () => {
  if (sqlite) await closeDatabase(sqlite);
  await pool?.end();
});

const nameOf = (table: SQLiteTable) => getTableConfig(table).name;

/** What each SQLite column becomes in PostgreSQL: the conversion's contract, spelled out. */
function expectedType(column: SQLiteColumn): string {
  switch (column.columnType) {
    case 'SQLiteInteger':
      return 'bigint';
    case 'SQLiteTimestamp':
      return 'timestamp with time zone';
    case 'SQLiteBoolean':
      return 'boolean';
    case 'SQLiteText':
      return 'text';
    case 'SQLiteBlobBuffer':
      return 'bytea';
    default:
      return `no conversion for ${column.columnType}`;
  }
}

describe('the PostgreSQL schema, made from the same tables as SQLite', () => {
  it('has every table the SQLite migrations create, and nothing else', async () => {
    const inSqlite = sqlite.all<{ name: string }>(sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'`).map((row) => row.name);
    const { rows } = await pool.query<{ name: string }>("select table_name as name from information_schema.tables where table_schema = 'public'");
    expect(rows.map((row) => row.name).sort()).toEqual([...inSqlite].sort());
    expect(Object.values(sqliteTables).map(nameOf).sort()).toEqual([...inSqlite].sort());
    expect(Object.keys(postgresTables).sort()).toEqual(Object.keys(sqliteTables).sort());
  });

  it('has the same columns, each of the converted type and nullability, and the same indexes', async () => {
    for (const table of Object.values(sqliteTables)) {
      const name = nameOf(table);
      const declared = Object.values(getTableColumns(table) as Record<string, SQLiteColumn>);
      // The SQLite migrations agree with the tables too (a change to a table without its migration shows here).
      const inSqlite = sqlite.all<{ name: string; notnull: number; pk: number }>(sql.raw(`pragma table_info("${name}")`));
      // (Order aside: ALTER TABLE ADD COLUMN puts a later column last.)
      const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(inSqlite).map((column) => column.name), name).toEqual(byName(declared).map((column) => column.name));

      const { rows } = await pool.query<{ name: string; type: string; nullable: string }>(
        'select column_name as name, data_type as type, is_nullable as nullable from information_schema.columns where table_schema = $1 and table_name = $2',
        ['public', name],
      );
      expect(byName(rows), name).toEqual(
        byName(declared).map((column) => {
          const inMigration = inSqlite.find((candidate) => candidate.name === column.name);
          const notNull = column.primary || inMigration?.notnull === 1 || inMigration?.pk === 1;
          return { name: column.name, type: expectedType(column), nullable: notNull ? 'NO' : 'YES' };
        }),
      );

      const sqliteIndexes = sqlite.all<{ name: string; origin: string; unique: number }>(sql.raw(`pragma index_list("${name}")`)).filter((entry) => entry.origin === 'c');
      const { rows: pgIndexes } = await pool.query<{ name: string; definition: string }>('select indexname as name, indexdef as definition from pg_indexes where schemaname = $1 and tablename = $2', ['public', name]);
      const madeByUs = pgIndexes.filter((entry) => !entry.name.endsWith('_pkey'));
      expect(madeByUs.map((entry) => `${entry.name} ${entry.definition.startsWith('CREATE UNIQUE') ? 'unique' : ''}`).sort(), name).toEqual(
        sqliteIndexes.map((entry) => `${entry.name} ${entry.unique ? 'unique' : ''}`).sort(),
      );
    }
  });

  it('gives back the same JS values as SQLite for a row in every table (dates, booleans, enums, big numbers, text)', async () => {
    const postgres = drizzle(pool);
    for (const [key, table] of inReferenceOrder(sqliteTables)) {
      const row = sampleRow(table);
      await sqlite.transaction(() => sqlite.insert(table).values(row).run());
      await postgres.insert(postgresTables[key]!).values(row);
      const fromSqlite = sqlite.select().from(table).all();
      const fromPostgres = await postgres.select().from(postgresTables[key]!);
      expect(fromPostgres, nameOf(table)).toEqual(fromSqlite);
      expect(fromSqlite, nameOf(table)).toEqual([row]);
    }
  });

  it('has migrations that match the tables, for both dialects (drizzle-kit finds nothing to generate)', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'ticketd-migrations-'));
    try {
      for (const [dialect, schema, from] of [
        ['sqlite', './src/modules/*/*.tables.ts', migrationsFolder],
        ['postgresql', './src/app/postgres.schema.ts', POSTGRES_MIGRATIONS],
      ] as const) {
        const out = path.join(scratch, dialect);
        await cp(from, out, { recursive: true, filter: (source) => !source.startsWith(POSTGRES_MIGRATIONS) || from === POSTGRES_MIGRATIONS });
        const before = await readdir(out);
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(PROJECT, 'node_modules/drizzle-kit/bin.cjs'), 'generate', '--dialect', dialect, '--schema', schema, '--out', path.relative(PROJECT, out)], { cwd: PROJECT });
        expect(`${stdout}${stderr}`, dialect).toMatch(/No schema changes/);
        expect(await readdir(out)).toEqual(before);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Parents before the tables whose foreign keys point at them. */
function inReferenceOrder(tables: Record<string, SQLiteTable>): Array<[string, SQLiteTable]> {
  const ordered: Array<[string, SQLiteTable]> = [];
  const visit = (key: string, table: SQLiteTable) => {
    if (ordered.some(([, done]) => done === table)) return;
    for (const foreignKey of getTableConfig(table).foreignKeys) {
      const parent = foreignKey.reference().foreignTable;
      const parentKey = Object.entries(tables).find(([, candidate]) => candidate === parent)?.[0] as string;
      visit(parentKey, parent);
    }
    ordered.push([key, table]);
  };
  for (const [key, table] of Object.entries(tables)) visit(key, table);
  return ordered;
}

/** A value in every column, id 1 where a number is asked for, so every foreign key finds its parent row. */
function sampleRow(table: SQLiteTable): Record<string, unknown> {
  const referencing = new Set(getTableConfig(table).foreignKeys.flatMap((foreignKey) => foreignKey.reference().columns));
  return Object.fromEntries(
    Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>).map(([key, column]) => {
      switch (column.columnType) {
        case 'SQLiteInteger':
          // The largest IMAP UID where nothing constrains the number: more than PostgreSQL's 32-bit integer holds.
          return [key, column.primary || referencing.has(column) ? 1 : 4_294_967_295];
        case 'SQLiteTimestamp':
          return [key, new Date(Date.UTC(2026, 11, 5, 23, 30, 1, 123))];
        case 'SQLiteBoolean':
          return [key, true];
        case 'SQLiteBlobBuffer':
          // Every byte value, a NUL and invalid UTF-8 among them.
          return [key, Buffer.from(Array.from({ length: 256 }, (_, byte) => byte))];
        default:
          return [key, column.enumValues?.at(-1) ?? `Grüße ✓ ${column.name}`];
      }
    }),
  );
}
