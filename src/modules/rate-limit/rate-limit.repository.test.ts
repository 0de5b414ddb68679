import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createRateLimitRepository } from './rate-limit.repository.js';

const limit = { limit: 5, windowMs: 3_600_000 };
const at = (minutes: number, ms = 0) => new Date(Date.UTC(2026, 10, 25, 9, 0) + minutes * 60_000 + ms);

describe.each(DIALECTS)('per-key sliding-window limits stored in the database, on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('allows five replies an hour per address, refuses the sixth, and allows again once the first leaves the window', async () => {
    const rates = createRateLimitRepository({ db });
    // One after the other: each take counts what the ones before it recorded.
    const taken = [];
    for (const minute of [0, 1, 2, 3, 4, 5, 30]) taken.push(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(minute) }));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
    expect(await rates.take({ bucket: 'auto-reply', key: 'other@acme.test', limit, now: at(30) })).toBe(true);
    expect(await rates.take({ bucket: 'signup-ip', key: 'bot@acme.test', limit, now: at(30) })).toBe(true);
    expect(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(true);
    expect(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(false);
  });

  it('counts events strictly after the window start, to the millisecond, and peeks without recording', async () => {
    const rates = createRateLimitRepository({ db });
    const one = { limit: 1, windowMs: 60_000 };
    expect(await rates.take({ bucket: 'b', key: 'k', limit: one, now: at(0, 7) })).toBe(true);
    expect(await rates.count({ bucket: 'b', key: 'k', since: at(0, 6) })).toBe(1);
    expect(await rates.count({ bucket: 'b', key: 'k', since: at(0, 7) })).toBe(0);
    expect(await rates.count({ bucket: 'B', key: 'k', since: at(-1) })).toBe(0);
    // The window ending at 1 min 7 ms starts at the event itself: it is out of it.
    expect(await rates.peek({ bucket: 'b', key: 'k', limit: one, now: at(1, 6) })).toBe(false);
    expect(await rates.peek({ bucket: 'b', key: 'k', limit: one, now: at(1, 7) })).toBe(true);
    expect(await rates.peek({ bucket: 'b', key: 'k', limit: one, now: at(1, 7) })).toBe(true);
    expect(await rates.count({ bucket: 'b', key: 'k', since: at(-1) })).toBe(1);
  });

  it('takes inside a caller transaction, and forgets the record when it rolls back', async () => {
    const rates = createRateLimitRepository({ db });
    const one = { limit: 1, windowMs: 60_000 };
    await expect(
      db.transaction(async () => {
        expect(await rates.take({ bucket: 'b', key: 'k', limit: one, now: at(0) })).toBe(true);
        expect(await rates.take({ bucket: 'b', key: 'k', limit: one, now: at(0) })).toBe(false);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await rates.count({ bucket: 'b', key: 'k', since: at(-1) })).toBe(0);
  });

  it("clears one key's events, and prunes events older than a date", async () => {
    const rates = createRateLimitRepository({ db });
    const many = { limit: 100, windowMs: 3_600_000 };
    for (const minute of [0, 10, 20]) {
      await rates.take({ bucket: 'login', key: 'ann', limit: many, now: at(minute) });
      await rates.take({ bucket: 'login', key: 'bob', limit: many, now: at(minute) });
    }
    await rates.clear({ bucket: 'login', key: 'ann' });
    expect(await rates.count({ bucket: 'login', key: 'ann', since: at(-1) })).toBe(0);
    expect(await rates.count({ bucket: 'login', key: 'bob', since: at(-1) })).toBe(3);
    await rates.prune({ before: at(10) });
    expect(await rates.count({ bucket: 'login', key: 'bob', since: at(-1) })).toBe(2);
    await rates.prune({ before: at(20, 1) });
    expect(await rates.count({ bucket: 'login', key: 'bob', since: at(-1) })).toBe(0);
  });
});
