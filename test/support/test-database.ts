/**
 * A fresh, empty database of either dialect for a test (issue 18): SQLite in a temporary file, or a database of
 * its own on the run's PostgreSQL (started by test/support/global-setup.ts). Repository tests run on both:
 * `describe.each(DIALECTS)`. Whatever a test file leaves open is closed after it (test/support/close-databases.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openPostgres } from '../../src/app/database.js';
import { openDatabase, type Db, type Dialect } from '../../src/shared/db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL (its `postgres` database), or `unavailable: why`. */
    postgresUrl: string;
  }
}

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgresql'];

/**
 * The dialect this run's tests use where they do not name one: TICKETD_TEST_DATABASE=postgresql runs the suite on
 * PostgreSQL (`.ci/run` runs it both ways); unset or `sqlite`, on SQLite.
 */
export function testDialect(env: NodeJS.ProcessEnv = process.env): Dialect {
  const value = env.TICKETD_TEST_DATABASE ?? 'sqlite';
  if (value === 'sqlite' || value === 'postgresql') return value;
  throw new Error(`TICKETD_TEST_DATABASE must be sqlite or postgresql, not ${JSON.stringify(value)}`);
}

const openPostgresDatabases = new Set<Db>();
let created = 0;

export async function openTestDatabase(dialect: Dialect = testDialect()): Promise<Db> {
  if (dialect === 'sqlite') return openDatabase({ path: ':memory:' });
  const db = await openPostgres({ url: await createTestPostgresDatabase(), poolSize: 4 });
  openPostgresDatabases.add(db);
  return db;
}

/** A new, empty database on the run's PostgreSQL, by URL (for daemons started by a test: TICKETD_DATABASE_URL). */
export async function createTestPostgresDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  if (!adminUrl.startsWith('postgres://')) throw new Error(`no PostgreSQL for this test run (${adminUrl}); apt-get install -y postgresql`);
  const name = `test_${process.pid}_${(created += 1)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Closes the PostgreSQL databases a test file opened (their pools), for test/support/close-databases.ts. */
export async function closeTestPostgresDatabases(): Promise<void> {
  const open = [...openPostgresDatabases];
  openPostgresDatabases.clear();
  await Promise.all(open.map((db) => db.close()));
}

/**
 * Two instances on one database, as two daemons would have: two SQLite `Db`s on one file, or two pools on one
 * PostgreSQL database. `close` closes both and removes what they left.
 */
export async function openTwoInstances(dialect: Dialect): Promise<{ one: Db; two: Db; close: () => Promise<void> }> {
  if (dialect === 'postgresql') {
    const url = await createTestPostgresDatabase();
    const [one, two] = await Promise.all([openPostgres({ url, poolSize: 2 }), openPostgres({ url, poolSize: 2 })]);
    return { one, two, close: async () => void (await Promise.all([one.close(), two.close()])) };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-instances-'));
  const one = openDatabase({ path: path.join(dir, 'ticketd.sqlite') });
  const two = openDatabase({ path: path.join(dir, 'ticketd.sqlite') });
  return {
    one,
    two,
    close: async () => {
      await Promise.all([one.close(), two.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
