import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres, type PostgresServer } from './postgres.server.js';

// The throwaway PostgreSQL the dual-dialect suites will run on (issue 18): a real server from Debian's package.
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.destroy();
});

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('a throwaway PostgreSQL on loopback', () => {
  it('answers on 127.0.0.1 with its own superuser, a UTF-8 database and its own databases for tests', async () => {
    const [info] = await query<{ user: string; encoding: string; address: string }>(
      server.url(),
      "select current_user as user, pg_encoding_to_char(encoding) as encoding, inet_server_addr()::text as address from pg_database where datname = current_database()",
    );
    expect(info).toEqual({ user: 'ticketd', encoding: 'UTF8', address: '127.0.0.1/32' });

    const url = await server.createDatabase('desk_one');
    expect(url).toBe(`postgres://ticketd@127.0.0.1:${server.port}/desk_one`);
    await query(url, 'create table note (id serial primary key, body text not null)');
    await query(url, 'insert into note (body) values ($1)', ['Grüße ✓']);
    expect(await query(url, 'select body from note')).toEqual([{ body: 'Grüße ✓' }]);
    await expect(server.createDatabase('desk; drop table note')).rejects.toThrow(/not a plain database name/);
  });

  it('keeps its data across a stop and a start on the same folder, and refuses connections while stopped', async () => {
    const url = await server.createDatabase('outage');
    await query(url, 'create table kept (n int)');
    await query(url, 'insert into kept values (7)');

    await server.stop();
    await expect(query(url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    await server.start();

    expect(await query(url, 'select n from kept')).toEqual([{ n: 7 }]);
  }, 60_000);

  it('says how to install PostgreSQL when its binaries are missing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'ticketd-no-postgres-'));
    try {
      expect(() => postgresBinDir(empty)).toThrow(/PostgreSQL is not installed .*apt-get install -y postgresql/);
      expect(postgresBinDir()).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
