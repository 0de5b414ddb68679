import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../../shared/db.js';
import { createRateLimitRepository } from './rate-limit.repository.js';

describe('per-key sliding-window limits stored in the database', () => {
  it('allows five replies an hour per address, refuses the sixth, and allows again once the first leaves the window', async () => {
    const db = openDatabase({ path: ':memory:' });
    onTestFinished(() => db.close());
    const rates = createRateLimitRepository({ db });
    const limit = { limit: 5, windowMs: 3_600_000 };
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 9, 0) + minutes * 60_000);
    // One after the other: each take counts what the ones before it recorded.
    const taken = [];
    for (const minute of [0, 1, 2, 3, 4, 5, 30]) taken.push(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(minute) }));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
    expect(await rates.take({ bucket: 'auto-reply', key: 'other@acme.test', limit, now: at(30) })).toBe(true);
    expect(await rates.take({ bucket: 'signup-ip', key: 'bot@acme.test', limit, now: at(30) })).toBe(true);
    expect(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(true);
    expect(await rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(false);
  });
});
