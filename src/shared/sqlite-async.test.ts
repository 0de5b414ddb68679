import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAsyncDatabase, type AsyncDatabase } from './sqlite-async.js';

let dir: string;
let database: AsyncDatabase;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-sqlite-async-'));
  database = openAsyncDatabase({ path: path.join(dir, 'ticketd.sqlite') });
});

afterEach(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const insert = (key: string) => database.current().run(sql`insert into rate_events (bucket, key, at) values ('test', ${key}, 0)`);
const keys = () => database.current().all<{ key: string }>(sql`select key from rate_events order by id`).map((row) => row.key);

describe('SQLite behind async transactions', () => {
  it('runs transactions one at a time in call order, even when their work awaits', async () => {
    const events: string[] = [];
    const first = database.transaction(async () => {
      events.push('first begins');
      await insert('one');
      await tick();
      events.push('first ends');
    });
    const second = database.transaction(async () => {
      events.push('second begins');
      await insert('two');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first begins', 'first ends', 'second begins']);
    expect(keys()).toEqual(['one', 'two']);
  });

  it('shows code outside a transaction only what was committed, while the transaction awaits', async () => {
    let seenDuring: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = database.transaction(async () => {
      await insert('pending');
      expect(keys()).toEqual(['pending']); // inside, its own row
      await held;
    });
    await tick();
    seenDuring = keys(); // another task, between two awaits of the open transaction
    release();
    await writing;
    expect(seenDuring).toEqual([]);
    expect(keys()).toEqual(['pending']);
  });

  it('refuses a write outside a transaction instead of letting it slip into one', async () => {
    await expect(Promise.resolve().then(() => insert('stray'))).rejects.toMatchObject({ cause: { code: 'SQLITE_READONLY' } });
    expect(keys()).toEqual([]);
  });

  it('rolls a failed transaction back whole, and the next one runs', async () => {
    await expect(
      database.transaction(async () => {
        await insert('lost');
        throw new Error('decided against it');
      }),
    ).rejects.toThrow('decided against it');
    await database.transaction(async () => insert('kept'));
    expect(keys()).toEqual(['kept']);
  });

  it('runs a nested transaction as a savepoint: its failure undoes only its own part', async () => {
    await database.transaction(async () => {
      await insert('outer');
      await expect(
        database.transaction(async () => {
          await insert('inner');
          throw new Error('one mail of the batch failed');
        }),
      ).rejects.toThrow('one mail of the batch failed');
      // Nested calls started together still run one after the other.
      await Promise.all([database.transaction(async () => insert('a')), database.transaction(async () => insert('b'))]);
    });
    expect(keys()).toEqual(['outer', 'a', 'b']);
  });

  it('gives work started inside a transaction but run after its commit the read-only connection', async () => {
    let later: Promise<unknown> | undefined;
    await database.transaction(async () => {
      await insert('committed');
      later = tick().then(() => insert('after the commit'));
    });
    await expect(later).rejects.toMatchObject({ cause: { code: 'SQLITE_READONLY' } });
    expect(keys()).toEqual(['committed']);
  });

  it('needs a file, since an in-memory database has no second connection', () => {
    expect(() => openAsyncDatabase({ path: ':memory:' })).toThrow(/needs a file/);
  });
});
