import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../shared/db.js';
import { createRateLimitRepository } from './rate-limit.repository.js';

describe('per-key sliding-window limits stored in the database', () => {
  it('allows five replies an hour per address, refuses the sixth, and allows again once the first leaves the window', () => {
    const rates = createRateLimitRepository({ db: openDatabase({ path: ':memory:' }) });
    const limit = { limit: 5, windowMs: 3_600_000 };
    const at = (minutes: number) => new Date(Date.UTC(2026, 10, 25, 9, 0) + minutes * 60_000);
    const taken = [0, 1, 2, 3, 4, 5, 30].map((minute) => rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(minute) }));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
    expect(rates.take({ bucket: 'auto-reply', key: 'other@acme.test', limit, now: at(30) })).toBe(true);
    expect(rates.take({ bucket: 'signup-ip', key: 'bot@acme.test', limit, now: at(30) })).toBe(true);
    expect(rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(true);
    expect(rates.take({ bucket: 'auto-reply', key: 'bot@acme.test', limit, now: at(60) })).toBe(false);
  });
});
