import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { migrationsFolder } from './db.js';
import { postgresMigrationsFolder } from './postgres-db.js';

export type Migration = { tag: string; when: number };
export type MigrationState = { applied: string[]; pending: string[] };

/** The migrations drizzle-kit generated, in order (migrations/meta/_journal.json). */
export function journalMigrations(folder = migrationsFolder): Migration[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string; when: number }> };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/**
 * Which migrations a SQLite database has and which it lacks, read without changing it (a missing file lacks them
 * all). drizzle's migrator records each applied migration in `__drizzle_migrations` with its journal time and
 * applies those newer than the newest recorded, so that is the rule here too.
 */
export function migrationState({ file, folder = migrationsFolder }: { file: string; folder?: string }): MigrationState {
  const migrations = journalMigrations(folder);
  let newest = Number.NEGATIVE_INFINITY;
  if (existsSync(file)) {
    const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      const table = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
      if (table) newest = Number((sqlite.prepare('select max(created_at) as newest from __drizzle_migrations').get() as { newest: number | null }).newest ?? Number.NEGATIVE_INFINITY);
    } finally {
      sqlite.close();
    }
  }
  return {
    applied: migrations.filter((migration) => migration.when <= newest).map((migration) => migration.tag),
    pending: migrations.filter((migration) => migration.when > newest).map((migration) => migration.tag),
  };
}

/**
 * The same for a PostgreSQL database: drizzle's migrator records applied migrations in
 * `drizzle.__drizzle_migrations` (created_at = the journal time), read here on a connection of its own.
 */
export async function postgresMigrationState({ url, folder = postgresMigrationsFolder }: { url: string; folder?: string }): Promise<MigrationState> {
  const migrations = journalMigrations(folder);
  let newest = Number.NEGATIVE_INFINITY;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query<{ found: string | null }>("select to_regclass('drizzle.__drizzle_migrations')::text as found");
    if (table.rows[0]?.found) {
      const row = (await client.query<{ newest: string | null }>('select max(created_at) as newest from drizzle.__drizzle_migrations')).rows[0];
      if (row?.newest !== null && row?.newest !== undefined) newest = Number(row.newest);
    }
  } finally {
    await client.end();
  }
  return {
    applied: migrations.filter((migration) => migration.when <= newest).map((migration) => migration.tag),
    pending: migrations.filter((migration) => migration.when > newest).map((migration) => migration.tag),
  };
}
