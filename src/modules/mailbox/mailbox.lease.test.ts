import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase, openTwoInstances } from '../../../test/support/test-database.js';
import { openPostgres } from '../../app/database.js';
import { openDatabase, type Db, type Dialect } from '../../shared/db.js';
import { createMailboxLeaseRepository } from '../inbound-log/mailbox-lease.repository.js';
import { createMailboxLease } from './mailbox.lease.js';


describe.each(DIALECTS)('two instances on %s', (dialect) => {
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  let now: Date;
  const clock = { now: () => now };

  beforeEach(async () => {
    ({ one, two, close } = await openTwoInstances(dialect));
    now = new Date('2026-12-06T03:00:00Z');
  });
  afterEach(async () => close());

  const later = (ms: number) => (now = new Date(now.getTime() + ms));

  describe('the mailbox lease table', () => {
    it('gives the lease to one holder, a new token on every take, and lets go only for the token holder', async () => {
      const a = createMailboxLeaseRepository({ db: one });
      const b = createMailboxLeaseRepository({ db: two });
      expect(await a.take({ mailbox: 'INBOX', holder: 'a:1', now, ttlMs: 20_000 })).toBe(1);
      expect(await b.take({ mailbox: 'INBOX', holder: 'b:2', now, ttlMs: 20_000 })).toBeUndefined();
      later(19_000);
      expect(await a.renew({ mailbox: 'INBOX', holder: 'a:1', token: 1, now, ttlMs: 20_000 })).toBe(true);
      later(19_000);
      expect(await b.take({ mailbox: 'INBOX', holder: 'b:2', now, ttlMs: 20_000 })).toBeUndefined(); // renewed: not expired yet
      later(2_000);
      expect(await b.take({ mailbox: 'INBOX', holder: 'b:2', now, ttlMs: 20_000 })).toBe(2); // a stopped renewing
      expect(await a.renew({ mailbox: 'INBOX', holder: 'a:1', token: 1, now, ttlMs: 20_000 })).toBe(false);
      expect(await a.holds({ mailbox: 'INBOX', holder: 'a:1', token: 1 })).toBe(false);
      expect(await a.release({ mailbox: 'INBOX', holder: 'a:1', token: 1, now })).toBe(false);
      expect(await b.holds({ mailbox: 'INBOX', holder: 'b:2', token: 2 })).toBe(true);
      // A holder known to be gone is taken over before its lease expires.
      expect(await a.take({ mailbox: 'INBOX', holder: 'a:3', now, ttlMs: 20_000, takeoverFrom: ['b:2'] })).toBe(3);
      expect(await a.release({ mailbox: 'INBOX', holder: 'a:3', token: 3, now })).toBe(true);
      expect(await b.take({ mailbox: 'INBOX', holder: 'b:2', now, ttlMs: 20_000 })).toBe(4); // let go: free at once
    });
  });

  describe('keeping a mailbox lease', () => {
    function instance(db: Db, holder: string, events: string[], isGone: (owner: string) => boolean = () => false) {
      return createMailboxLease({
        mailbox: 'INBOX',
        holder,
        leases: createMailboxLeaseRepository({ db }),
        clock,
        heartbeatMs: 60_000, // beats are driven by hand below (start), never by the timer within a test
        isGone,
        onTaken: () => void events.push(`${holder} syncs`),
        onLost: () => void events.push(`${holder} stops`),
      });
    }

    it('starts the sync only in the instance that took the lease, and hands it over on a clean stop', async () => {
      const events: string[] = [];
      const a = instance(one, 'host:1', events);
      const b = instance(two, 'host:2', events);
      await a.start();
      await b.start();
      expect(events).toEqual(['host:1 syncs']);
      expect([a.status(), b.status()]).toEqual([{ name: 'INBOX', held: true }, { name: 'INBOX', held: false }]);
      await a.stop();
      await b.stop();
      await b.start(); // its next beat
      expect(events).toEqual(['host:1 syncs', 'host:1 stops', 'host:2 syncs']);
      await b.stop();
    });

    it('takes over at once from a process of this host that is gone, without waiting for the lease to expire', async () => {
      const events: string[] = [];
      const a = instance(one, 'host:1', events);
      await a.start(); // then killed: it never renews
      const b = instance(two, 'host:2', events, (owner) => owner === 'host:1');
      await b.start();
      expect(events).toEqual(['host:1 syncs', 'host:2 syncs']);
      await b.stop();
      await a.stop();
    });

    it('fences out an instance whose lease was taken over while it was paused: its commits fail', async () => {
      const events: string[] = [];
      const a = instance(one, 'host:1', events);
      await a.start();
      await expect(one.transaction(() => a.fence())).resolves.toBeUndefined();
      later(25_000); // a stalls past its lease; b takes it
      const b = instance(two, 'host:2', events);
      await b.start();
      expect(events).toEqual(['host:1 syncs', 'host:2 syncs']);
      await expect(one.transaction(() => a.fence())).rejects.toMatchObject({ code: 'MAILBOX_LEASE_LOST' });
      await b.stop();
      await a.stop();
    });
  });
});
