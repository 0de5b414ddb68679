import { describe, expect, it } from 'vitest';
import { createPoisonGuard, poisonReason } from './poison-message.models.js';

const arrival = (uid: number, sha256 = 'a'.repeat(64)) => ({ source: 'INBOX', uidValidity: '7', uid, blob: { sha256, size: 10 } });

describe('the poison guard', () => {
  it('says poison after the strikes, forgets a message once it is recorded, and tells arrivals apart by UID and bytes', () => {
    const guard = createPoisonGuard({ strikes: 2 });
    guard.afterCommit({ settled: [], failed: arrival(1) });
    expect(guard.isPoison(arrival(1))).toBe(false);
    guard.afterCommit({ settled: [arrival(5)], failed: arrival(1) });
    expect(guard.isPoison(arrival(1))).toBe(true);
    expect(guard.isPoison(arrival(2))).toBe(false);
    expect(guard.isPoison(arrival(1, 'b'.repeat(64)))).toBe(false);
    expect(guard.isPoison({ ...arrival(1), operator: true })).toBe(false);
    guard.afterCommit({ settled: [arrival(1)], failed: undefined });
    expect(guard.strikesOf(arrival(1))).toBe(0);
  });

  it('remembers a bounded number of arrivals, dropping the one struck longest ago', () => {
    const guard = createPoisonGuard({ strikes: 1, maxTracked: 3 });
    for (const uid of [1, 2, 3]) guard.afterCommit({ settled: [], failed: arrival(uid) });
    guard.afterCommit({ settled: [], failed: arrival(1) }); // struck again: now the most recent
    guard.afterCommit({ settled: [], failed: arrival(4) });
    expect([1, 2, 3, 4].map((uid) => guard.isPoison(arrival(uid)))).toEqual([true, false, true, true]);
  });

  it('never counts an operator\'s try', () => {
    const guard = createPoisonGuard({ strikes: 1 });
    guard.afterCommit({ settled: [], failed: { ...arrival(1), operator: true } });
    expect(guard.strikesOf(arrival(1))).toBe(0);
  });
});

describe('the reason recorded', () => {
  it('is one bounded line without control characters', () => {
    const reason = poisonReason(new Error(`bad\u0000value\r\n\u001b[2J${'x'.repeat(1000)}`), 4);
    expect(reason.startsWith('commit-failed: 4 tries failed, the last with: bad value ')).toBe(true);
    expect(reason).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(reason.length).toBeLessThanOrEqual(400);
  });
});
