/**
 * One description of each table, two dialects (issue 18): the SQLite tables in the modules' `*.tables.ts` stay the
 * source, and each is rebuilt here as the PostgreSQL table with the same columns, keys and indexes, so drizzle-kit
 * generates both dialects' migrations from the same definitions and they cannot drift.
 *
 * SQLite -> PostgreSQL: INTEGER (64-bit) -> bigint (read as a JS number, like SQLite's; IMAP UIDs need 32 unsigned
 * bits, more than PostgreSQL's integer); an autoincrement key -> a bigint identity (by default, so a copied desk keeps
 * its ids); integer `timestamp_ms` -> `timestamp(3) with time zone`; integer `boolean` -> boolean; TEXT (enum or
 * not) -> text; a `blob({ mode: 'buffer' })` -> bytea (a Buffer both ways). Anything else is refused by name, so a
 * new kind of column cannot slip through unconverted.
 */
import type { SQL } from 'drizzle-orm';
import { getTableColumns } from 'drizzle-orm';
import { bigint, boolean, customType, foreignKey, index, pgTable, text, timestamp, uniqueIndex, type PgColumnBuilderBase, type PgTableWithColumns } from 'drizzle-orm/pg-core';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';

// The converted tables' columns are typed loosely: their JS values are the SQLite tables' (Date, boolean, number,
// string), which a test on a real PostgreSQL checks row by row (src/app/postgres.schema.test.ts).
export type PostgresTable = PgTableWithColumns<any>;

type ColumnFacts = {
  name: string;
  columnType: string;
  notNull: boolean;
  primary: boolean;
  autoIncrement?: boolean;
  enumValues?: string[];
  default?: unknown;
  defaultFn?: () => unknown;
};

/**
 * The PostgreSQL twins of `tables`, each converted once; a foreign key must point at a table in the same call
 * (listed before or after it).
 */
export function toPostgresTables<T extends Record<string, SQLiteTable>>(tables: T): { [K in keyof T]: PostgresTable } {
  const converted = new Map<SQLiteTable, PostgresTable>();
  const convert = (table: SQLiteTable): PostgresTable => {
    const known = converted.get(table);
    if (known) return known;
    const made = toPostgresTable(table, (target) => {
      if (!Object.values(tables).includes(target)) throw new Error(`table ${getTableConfig(table).name} references ${getTableConfig(target).name}, which is not among the tables converted together`);
      return convert(target);
    });
    converted.set(table, made);
    return made;
  };
  return Object.fromEntries(Object.entries(tables).map(([key, table]) => [key, convert(table)])) as { [K in keyof T]: PostgresTable };
}

function toPostgresTable(table: SQLiteTable, twinOf: (table: SQLiteTable) => PostgresTable): PostgresTable {
  const config = getTableConfig(table);
  if (config.checks.length > 0 || config.primaryKeys.length > 0 || config.uniqueConstraints.length > 0) {
    throw new Error(`table ${config.name}: checks, composite primary keys and unique constraints have no PostgreSQL conversion yet`);
  }
  const sqliteColumns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const keyOf = new Map(Object.entries(sqliteColumns).map(([key, column]) => [column, key]));
  const builders = Object.fromEntries(Object.entries(sqliteColumns).map(([key, column]) => [key, columnFor(config.name, column as unknown as ColumnFacts)]));

  return pgTable(config.name, builders, (pg) => {
    const columnOf = (column: SQLiteColumn) => pg[keyOf.get(column) as string];
    const extras: unknown[] = [];
    for (const entry of config.indexes) {
      const { name, columns, unique, where } = entry.config;
      if (where) throw new Error(`index ${name} on ${config.name}: partial indexes have no PostgreSQL conversion yet`);
      const on = columns.map((column) => {
        if (!keyOf.has(column as SQLiteColumn)) throw new Error(`index ${name} on ${config.name}: only plain columns convert, not expressions`);
        return columnOf(column as SQLiteColumn);
      });
      const made = (unique ? uniqueIndex(name) : index(name)) as ReturnType<typeof index>;
      extras.push(made.on(...(on as [never, ...never[]])));
    }
    for (const key of config.foreignKeys) {
      const reference = key.reference();
      const target = twinOf(reference.foreignTable);
      const targetColumns = getTableColumns(reference.foreignTable) as Record<string, SQLiteColumn>;
      const targetKey = (column: SQLiteColumn) => Object.entries(targetColumns).find(([, candidate]) => candidate === column)?.[0] as string;
      extras.push(
        foreignKey({
          name: key.getName(),
          columns: reference.columns.map((column) => columnOf(column)) as [never, ...never[]],
          foreignColumns: reference.foreignColumns.map((column) => target[targetKey(column)]) as [never, ...never[]],
        }),
      );
    }
    return extras as never;
  });
}

/** PostgreSQL's bytes: drizzle's pg-core has no bytea builder; node-postgres takes and gives Buffers. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => value,
});

function columnFor(tableName: string, column: ColumnFacts): PgColumnBuilderBase {
  const where = `${tableName}.${column.name}`;
  let builder;
  switch (column.columnType) {
    case 'SQLiteInteger':
      builder = bigint(column.name, { mode: 'number' });
      if (column.primary && column.autoIncrement) builder = builder.generatedByDefaultAsIdentity();
      break;
    case 'SQLiteTimestamp':
      builder = timestamp(column.name, { withTimezone: true, precision: 3, mode: 'date' });
      break;
    case 'SQLiteBoolean':
      builder = boolean(column.name);
      break;
    case 'SQLiteText':
      builder = column.enumValues && column.enumValues.length > 0 ? text(column.name, { enum: column.enumValues as [string, ...string[]] }) : text(column.name);
      break;
    case 'SQLiteBlobBuffer':
      builder = bytea(column.name);
      break;
    default:
      throw new Error(`column ${where}: ${column.columnType} has no PostgreSQL conversion yet`);
  }
  if (column.primary) builder = builder.primaryKey();
  if (column.notNull && !column.primary) builder = builder.notNull();
  if (column.default !== undefined) {
    if (isSql(column.default)) throw new Error(`column ${where}: SQL defaults have no PostgreSQL conversion yet`);
    builder = builder.default(column.default as never);
  }
  if (column.defaultFn) builder = builder.$defaultFn(column.defaultFn as never);
  return builder as PgColumnBuilderBase;
}

function isSql(value: unknown): value is SQL {
  return typeof value === 'object' && value !== null && 'queryChunks' in value;
}
