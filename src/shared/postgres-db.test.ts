import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../devservers/postgres.server.js';
import { openPostgresDatabase, type PostgresDb } from './postgres-db.js';

let server: PostgresServer;
let database: PostgresDb;
let url: string;
let count = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server?.destroy());

beforeEach(async () => {
  url = await server.createDatabase(`transactions_${(count += 1)}`);
  database = await openPostgresDatabase({ url });
});
afterEach(async () => database.close());

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
const insert = (key: string, db: PostgresDb = database) => db.execute(sql`insert into rate_events (bucket, key, at) values ('test', ${key}, now())`);
const keys = async (db: PostgresDb = database) => (await db.execute<{ key: string }>(sql`select key from rate_events order by id`)).rows.map((row) => row.key);

describe('PostgreSQL behind the same transaction API as SQLite', () => {
  it('applies the PostgreSQL migrations on open', async () => {
    const tables = (await database.execute<{ name: string }>(sql`select table_name as name from information_schema.tables where table_schema = 'public'`)).rows.map((row) => row.name);
    expect(tables).toEqual(expect.arrayContaining(['tickets', 'inbound_messages', 'outbox', 'mailbox_leases', 'job_ticks']));
  });

  it('stores text with a NUL in it (mail can carry one; PostgreSQL text cannot) as U+FFFD, in and outside transactions, and keeps bytea as it is', async () => {
    // Without nulSafe: "22021: invalid byte sequence for encoding UTF8: 0x00", and the mailbox's sync stopped on that message.
    await database.transaction(async () => insert('bounce subject\u0000'));
    expect(await keys()).toEqual(['bounce subject\uFFFD']);
    const [read] = (await database.execute<{ value: string }>(sql`select ${'a\u0000b'}::text as value`)).rows;
    expect(read?.value).toBe('a\uFFFDb');
    const [blob] = (await database.execute<{ bytes: Buffer }>(sql`select ${Buffer.from([0, 1, 0])}::bytea as bytes`)).rows;
    expect([...(blob?.bytes ?? [])]).toEqual([0, 1, 0]);
  });

  it('migrates one instance at a time when several open a new database together', async () => {
    const fresh = await server.createDatabase(`together_${count}`);
    const instances = await Promise.all(Array.from({ length: 4 }, () => openPostgresDatabase({ url: fresh })));
    try {
      const applied = await instances[0]!.execute<{ rows: string }>(sql`select count(*) as rows from drizzle.__drizzle_migrations`);
      expect(Number(applied.rows[0]?.rows)).toBeGreaterThan(0);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
  });

  it('runs write transactions one at a time, across instances too, even when their work awaits', async () => {
    const other = await openPostgresDatabase({ url });
    try {
      const events: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = database.transaction(async () => {
        events.push('first begins');
        await insert('one');
        await held;
        events.push('first ends');
      });
      await tick(); // the first holds the write lock by now
      const second = other.transaction(async () => {
        events.push('second begins');
        await insert('two', other);
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // time enough for the second to begin, were it let in
      expect(events).toEqual(['first begins']);
      release();
      await Promise.all([first, second]);
      expect(events).toEqual(['first begins', 'first ends', 'second begins']);
      expect(await keys()).toEqual(['one', 'two']);
    } finally {
      await other.close();
    }
  });

  it('shows code outside a transaction only what was committed, while the transaction awaits', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = database.transaction(async () => {
      await insert('pending');
      expect(await keys()).toEqual(['pending']); // inside, its own row
      await held;
    });
    await tick();
    const seenDuring = await keys();
    release();
    await writing;
    expect(seenDuring).toEqual([]);
    expect(await keys()).toEqual(['pending']);
  });

  it('refuses a write outside a transaction instead of committing it on its own', async () => {
    await expect(insert('stray')).rejects.toMatchObject({ cause: { code: '25006' } }); // read_only_sql_transaction
    expect(await keys()).toEqual([]);
  });

  it('rolls a failed transaction back whole, and the next one runs', async () => {
    await expect(
      database.transaction(async () => {
        await insert('lost');
        throw new Error('decided against it');
      }),
    ).rejects.toThrow('decided against it');
    await database.transaction(() => insert('kept'));
    expect(await keys()).toEqual(['kept']);
  });

  it('nests savepoints in savepoints, each level undoing only its own part, and joins single writes', async () => {
    const answer = await database.transaction(async () => {
      await insert('outer');
      return database.transaction(async () => {
        await database.write(() => insert('middle'));
        await expect(
          database.transaction(async () => {
            await insert('inner, undone');
            throw new Error('the innermost part failed');
          }),
        ).rejects.toThrow('the innermost part failed');
        await Promise.all([database.transaction(() => insert('a')), database.transaction(() => insert('b'))]);
        return database.transaction(async () => database.transaction(async () => (await insert('deepest'), 42)));
      });
    });
    expect(answer).toBe(42);
    expect(await keys()).toEqual(['outer', 'middle', 'a', 'b', 'deepest']);
    await database.write(() => insert('alone'));
    expect(await keys()).toContain('alone');
  });
});
