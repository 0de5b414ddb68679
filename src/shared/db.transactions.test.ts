import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db.js';

let dir: string;
let database: Db;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-db-transactions-'));
  database = openDatabase({ path: path.join(dir, 'ticketd.sqlite') });
});

afterEach(async () => {
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const insert = (key: string) => database.run(sql`insert into rate_events (bucket, key, at) values ('test', ${key}, 0)`);
const keys = () => database.all<{ key: string }>(sql`select key from rate_events order by id`).map((row) => row.key);

describe('SQLite behind async transactions', () => {
  it('runs transactions one at a time in call order, even when their work awaits', async () => {
    const events: string[] = [];
    const first = database.transaction(async () => {
      events.push('first begins');
      insert('one');
      await tick();
      events.push('first ends');
    });
    const second = database.transaction(async () => {
      events.push('second begins');
      insert('two');
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
      insert('pending');
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
        insert('lost');
        throw new Error('decided against it');
      }),
    ).rejects.toThrow('decided against it');
    await database.transaction(async () => insert('kept'));
    expect(keys()).toEqual(['kept']);
  });

  it('runs a nested transaction as a savepoint: its failure undoes only its own part', async () => {
    await database.transaction(async () => {
      insert('outer');
      await expect(
        database.transaction(async () => {
          insert('inner');
          throw new Error('one mail of the batch failed');
        }),
      ).rejects.toThrow('one mail of the batch failed');
      // Nested calls started together still run one after the other.
      await Promise.all([database.transaction(async () => insert('a')), database.transaction(async () => insert('b'))]);
    });
    expect(keys()).toEqual(['outer', 'a', 'b']);
  });

  it('nests savepoints in savepoints, each level undoing only its own part', async () => {
    const answer = await database.transaction(async () => {
      insert('outer');
      return database.transaction(async () => {
        insert('middle');
        await expect(
          database.transaction(async () => {
            insert('inner, undone');
            throw new Error('the innermost part failed');
          }),
        ).rejects.toThrow('the innermost part failed');
        return database.transaction(async () => database.transaction(async () => (insert('deepest'), 42)));
      });
    });
    expect(answer).toBe(42);
    expect(keys()).toEqual(['outer', 'middle', 'deepest']);
  });

  it('gives work started inside a transaction but run after its commit the read-only connection', async () => {
    let later: Promise<unknown> | undefined;
    await database.transaction(async () => {
      insert('committed');
      later = tick().then(() => insert('after the commit'));
    });
    await expect(later).rejects.toMatchObject({ cause: { code: 'SQLITE_READONLY' } });
    expect(keys()).toEqual(['committed']);
  });

  it('joins a single write to the open transaction, or gives it its own outside one', async () => {
    await database.write(() => insert('alone'));
    await expect(
      database.transaction(async () => {
        await database.write(() => insert('joined'));
        throw new Error('the transaction fails after the write');
      }),
    ).rejects.toThrow('the transaction fails');
    expect(keys()).toEqual(['alone']);
  });

  it('answers reads from the caller\'s connection: its own uncommitted rows inside, and a stray write outside fails', async () => {
    await database.write(() => insert('one'));
    await database.transaction(async () => {
      await database.write(() => insert('two'));
      expect(keys()).toEqual(['one', 'two']); // inside: its own uncommitted row
      expect(database.$writer!.inTransaction).toBe(true);
    });
    expect(() => insert('stray')).toThrow(expect.objectContaining({ cause: expect.objectContaining({ code: 'SQLITE_READONLY' }) }) as Error);
  });

  it('gives :memory: a private temporary file with both connections, removed on close', async () => {
    const memory = openDatabase({ path: ':memory:' });
    const file = memory.$writer!.name;
    expect(file).not.toBe(':memory:');
    await memory.transaction(() => memory.run(sql`insert into rate_events (bucket, key, at) values ('test', 'm', 0)`));
    expect(memory.all(sql`select key from rate_events`)).toEqual([{ key: 'm' }]);
    await memory.close();
    expect(existsSync(file)).toBe(false);
  });
});
