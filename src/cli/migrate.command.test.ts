import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalMigrations, migrationState, postgresMigrationState, type MigrationState } from '../shared/migration-state.js';
import { postgresMigrationsFolder } from '../shared/postgres-db.js';
import { createTestPostgresDatabase, testDialect } from '../../test/support/test-database.js';
import { runCli } from './program.js';

const dialect = testDialect();
let dir: string;
let configFile: string;
/** The database as `ticketd migrate` names it: the SQLite file, or the PostgreSQL URL (no password in it). */
let database: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-migrate-'));
  database = dialect === 'postgresql' ? await createTestPostgresDatabase() : path.join(dir, 'data', 'ticketd.sqlite');
  configFile = path.join(dir, 'ticketd.yaml');
  const databaseYaml = dialect === 'postgresql' ? `database:\n  url: ${database}\nstorage:\n  path: ${path.join(dir, 'store')}\n` : `database:\n  path: ${database}\n`;
  await writeFile(configFile, `${databaseYaml}imap:\n  host: 127.0.0.1\n  user: help@cloudsoft.test\nsmtp:\n  host: 127.0.0.1\nsupport:\n  address: help@cloudsoft.test\n`);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function ticketd(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli([...args, '--config', configFile], { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) });
  return { code, out, err };
}

/** What the database has applied and lacks, read beside the command. */
function state(): Promise<MigrationState> {
  return dialect === 'postgresql' ? postgresMigrationState({ url: database }) : Promise.resolve(migrationState({ file: database }));
}

/** Forgets the newest migration's record, as in a database from before it. */
async function forgetNewestMigration(): Promise<void> {
  if (dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      await client.query('delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)');
    } finally {
      await client.end();
    }
    return;
  }
  const sqlite = new Sqlite(database);
  sqlite.prepare('delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)').run();
  sqlite.close();
}

const tags = journalMigrations(dialect === 'postgresql' ? postgresMigrationsFolder : undefined).map((migration) => migration.tag);
const newest = tags.at(-1) as string;

describe('ticketd migrate', () => {
  it('creates a new database with every migration and says so; a second run has nothing to do', async () => {
    // Several migrations, so that "every one" means something (PostgreSQL's own history began later, with fewer).
    expect(tags.length).toBeGreaterThan(dialect === 'postgresql' ? 2 : 5);
    const check = await ticketd('migrate', '--check');
    expect(check.code).toBe(1);
    expect(check.out).toContain(`${tags.length} pending: ${tags[0]}`);

    const first = await ticketd('migrate', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toEqual({ database, applied: tags, schema: newest });
    expect(await state()).toEqual({ applied: tags, pending: [] });

    const again = await ticketd('migrate');
    expect(again).toMatchObject({ code: 0, out: `${database}: up to date (${newest})\n` });
    expect(await ticketd('migrate', '--check')).toMatchObject({ code: 0, out: `${database}: up to date (${newest})\n` });
  });

  it('lists only what an older database lacks, and --check changes nothing', async () => {
    await ticketd('migrate');
    // A database from before the newest migration: its record gone, its change undone.
    await forgetNewestMigration();
    expect((await state()).pending).toEqual([newest]);

    const check = await ticketd('migrate', '--check', '--json');
    expect(check.code).toBe(1);
    expect(JSON.parse(check.out)).toMatchObject({ pending: [newest] });
    expect((await state()).pending).toEqual([newest]);
  });

  it('refuses an unknown flag with the usage exit code', async () => {
    expect((await ticketd('migrate', '--dry-run')).code).toBe(2);
  });
});
