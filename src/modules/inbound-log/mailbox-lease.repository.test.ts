import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createMailboxLeaseRepository } from './mailbox-lease.repository.js';

const now = new Date('2026-12-06T03:00:00.250Z');
const after = (ms: number) => new Date(now.getTime() + ms);

describe.each(DIALECTS)('the mailbox lease repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('takes a free lease with token 1 and records when it expires', async () => {
    const leases = createMailboxLeaseRepository({ db });
    expect(await leases.find('INBOX')).toBeUndefined();
    expect(await leases.take({ mailbox: 'INBOX', holder: 'a:1', now, ttlMs: 20_000 })).toBe(1);
    expect(await leases.find('INBOX')).toEqual({ mailbox: 'INBOX', holder: 'a:1', token: 1, expiresAt: after(20_000), takenAt: now });
    expect(await leases.take({ mailbox: 'Archive', holder: 'b:2', now, ttlMs: 20_000 })).toBe(1); // another mailbox, its own lease
  });

  it('refuses a held lease until it expires (strictly after its expiry), then draws a new token', async () => {
    const leases = createMailboxLeaseRepository({ db });
    await leases.take({ mailbox: 'INBOX', holder: 'a:1', now, ttlMs: 20_000 });
    expect(await leases.take({ mailbox: 'INBOX', holder: 'b:2', now: after(20_000), ttlMs: 20_000 })).toBeUndefined();
    expect((await leases.find('INBOX'))?.holder).toBe('a:1');
    expect(await leases.take({ mailbox: 'INBOX', holder: 'b:2', now: after(20_001), ttlMs: 20_000 })).toBe(2);
    expect(await leases.find('INBOX')).toMatchObject({ holder: 'b:2', token: 2, expiresAt: after(40_001), takenAt: after(20_001) });
    expect(await leases.take({ mailbox: 'INBOX', holder: 'b:2', now: after(20_002), ttlMs: 20_000 })).toBe(3); // its own: taken again
    expect(await leases.take({ mailbox: 'INBOX', holder: 'a:1', now: after(20_003), ttlMs: 20_000, takeoverFrom: ['c:3', 'b:2'] })).toBe(4); // from a holder that is gone
  });

  it('renews and releases only for the holder with the current token', async () => {
    const leases = createMailboxLeaseRepository({ db });
    await leases.take({ mailbox: 'INBOX', holder: 'a:1', now, ttlMs: 20_000 });
    expect(await leases.renew({ mailbox: 'INBOX', holder: 'a:1', token: 1, now: after(5_000), ttlMs: 20_000 })).toBe(true);
    expect((await leases.find('INBOX'))?.expiresAt).toEqual(after(25_000));
    expect(await leases.renew({ mailbox: 'INBOX', holder: 'b:2', token: 1, now, ttlMs: 20_000 })).toBe(false);
    expect(await leases.renew({ mailbox: 'INBOX', holder: 'a:1', token: 2, now, ttlMs: 20_000 })).toBe(false);
    expect(await leases.release({ mailbox: 'INBOX', holder: 'a:1', token: 2, now })).toBe(false);
    expect(await leases.release({ mailbox: 'INBOX', holder: 'a:1', token: 1, now })).toBe(true);
    expect((await leases.find('INBOX'))?.expiresAt).toEqual(new Date(now.getTime() - 1));
    expect(await leases.take({ mailbox: 'INBOX', holder: 'b:2', now, ttlMs: 20_000 })).toBe(2); // let go: free at once
  });

  it('tells whether a holder still holds the lease, past its expiry too, and inside the caller\'s transaction', async () => {
    const leases = createMailboxLeaseRepository({ db });
    expect(await leases.holds({ mailbox: 'INBOX', holder: 'a:1', token: 1 })).toBe(false);
    await leases.take({ mailbox: 'INBOX', holder: 'a:1', now, ttlMs: 20_000 });
    expect(await leases.holds({ mailbox: 'INBOX', holder: 'a:1', token: 1 })).toBe(true); // expired by now: nobody took it
    expect(await leases.holds({ mailbox: 'INBOX', holder: 'b:2', token: 1 })).toBe(false);
    // The fence reads the transaction's own state: a take inside it, not yet committed, already moved the lease on.
    const fenced = await db.transaction(async () => {
      expect(await leases.take({ mailbox: 'INBOX', holder: 'b:2', now: after(20_001), ttlMs: 20_000 })).toBe(2);
      return [await leases.holds({ mailbox: 'INBOX', holder: 'a:1', token: 1 }), await leases.holds({ mailbox: 'INBOX', holder: 'b:2', token: 2 })];
    });
    expect(fenced).toEqual([false, true]);
    // A transaction rolled back takes its take with it.
    await expect(
      db.transaction(async () => {
        await leases.take({ mailbox: 'INBOX', holder: 'c:3', now: after(60_000), ttlMs: 20_000 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await leases.find('INBOX')).toMatchObject({ holder: 'b:2', token: 2 });
  });
});
