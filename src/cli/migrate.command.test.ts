import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalMigrations, migrationState } from '../shared/migration-state.js';
import { runCli } from './program.js';

let dir: string;
let configFile: string;
let database: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-migrate-'));
  database = path.join(dir, 'data', 'ticketd.sqlite');
  configFile = path.join(dir, 'ticketd.yaml');
  await writeFile(configFile, `database:\n  path: ${database}\nimap:\n  host: 127.0.0.1\n  user: help@cloudsoft.test\nsmtp:\n  host: 127.0.0.1\nsupport:\n  address: help@cloudsoft.test\n`);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function ticketd(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli([...args, '--config', configFile], { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) });
  return { code, out, err };
}

const tags = journalMigrations().map((migration) => migration.tag);
const newest = tags.at(-1) as string;

describe('ticketd migrate', () => {
  it('creates a new database with every migration and says so; a second run has nothing to do', async () => {
    expect(tags.length).toBeGreaterThan(5);
    const check = await ticketd('migrate', '--check');
    expect(check.code).toBe(1);
    expect(check.out).toContain(`${tags.length} pending: ${tags[0]}`);

    const first = await ticketd('migrate', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toEqual({ database, applied: tags, schema: newest });
    expect(migrationState({ file: database })).toEqual({ applied: tags, pending: [] });

    const again = await ticketd('migrate');
    expect(again).toMatchObject({ code: 0, out: `${database}: up to date (${newest})\n` });
    expect(await ticketd('migrate', '--check')).toMatchObject({ code: 0, out: `${database}: up to date (${newest})\n` });
  });

  it('lists only what an older database lacks, and --check changes nothing', async () => {
    await ticketd('migrate');
    // A database from before the newest migration: its record gone, its change undone.
    const sqlite = new Sqlite(database);
    sqlite.prepare('delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)').run();
    sqlite.close();
    expect(migrationState({ file: database }).pending).toEqual([newest]);

    const check = await ticketd('migrate', '--check', '--json');
    expect(check.code).toBe(1);
    expect(JSON.parse(check.out)).toMatchObject({ pending: [newest] });
    expect(migrationState({ file: database }).pending).toEqual([newest]);
  });

  it('refuses an unknown flag with the usage exit code', async () => {
    expect((await ticketd('migrate', '--dry-run')).code).toBe(2);
  });
});
