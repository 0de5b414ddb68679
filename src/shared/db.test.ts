import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';

describe('the database connection', () => {
  it('reuses prepared statements by SQL text, each handed back as a fresh one would be (raw mode off)', () => {
    const db = openDatabase({ path: ':memory:' });
    const text = "select 1 as one, 'a' as letter";
    const first = db.$client.prepare(text);
    expect(first.raw().get()).toEqual([1, 'a']);
    const again = db.$client.prepare(text);
    expect(again).toBe(first);
    expect(again.get()).toEqual({ one: 1, letter: 'a' });
    // drizzle's own queries go through the same cache and keep their results right.
    expect(db.get<{ n: number }>(sql`select 41 + 1 as n`)).toEqual({ n: 42 });
    expect(db.values(sql`select 41 + 1 as n`)).toEqual([[42]]);
    expect(db.get<{ n: number }>(sql`select 41 + 1 as n`)).toEqual({ n: 42 });
  });

  it('keeps at most its capacity of statements, dropping the least recently used', () => {
    const db = openDatabase({ path: ':memory:' });
    const kept = db.$client.prepare('select 0');
    const dropped = db.$client.prepare('select -1');
    for (let n = 1; n <= 600; n += 1) {
      db.$client.prepare(`select ${n}`);
      if (n % 100 === 0) db.$client.prepare('select 0');
    }
    expect(db.$client.prepare('select 0')).toBe(kept);
    const prepared = db.$client.prepare('select -1');
    expect(prepared).not.toBe(dropped);
    expect(prepared.get()).toEqual({ '-1': -1 });
  });
});
