import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTwoInstances } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createMailboxLeaseRepository } from '../inbound-log/mailbox-lease.repository.js';
import { createMailboxShare, fairShare, shouldTake } from './mailbox.share.js';

describe('the share of the mailboxes', () => {
  it('is ceil(mailboxes / live instances), all of them for a lone instance', () => {
    expect(fairShare({ mailboxes: 3, liveInstances: 1 })).toBe(3);
    expect(fairShare({ mailboxes: 3, liveInstances: 2 })).toBe(2);
    expect(fairShare({ mailboxes: 2, liveInstances: 2 })).toBe(1);
    expect(fairShare({ mailboxes: 1, liveInstances: 5 })).toBe(1);
    expect(fairShare({ mailboxes: 2, liveInstances: 0 })).toBe(2);
  });

  it('takes a free lease below the share; at the share only one nobody took for a whole heartbeat', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    const row = (expiredMsAgo: number) => ({ mailbox: 'billing', holder: 'x:1', token: 3, takenAt: now, expiresAt: new Date(now.getTime() - expiredMsAgo) });
    expect(shouldTake({ held: 0, share: 1, current: row(1), now, heartbeatMs: 5_000 })).toBe(true);
    expect(shouldTake({ held: 1, share: 1, current: row(1), now, heartbeatMs: 5_000 })).toBe(false); // just handed over: for an instance below its share
    expect(shouldTake({ held: 1, share: 1, current: row(4_999), now, heartbeatMs: 5_000 })).toBe(false);
    expect(shouldTake({ held: 1, share: 1, current: row(5_000), now, heartbeatMs: 5_000 })).toBe(true); // orphaned: never left unsynced
    expect(shouldTake({ held: 2, share: 1, current: undefined, now, heartbeatMs: 5_000 })).toBe(true); // never taken by anyone
  });
});

describe.each(DIALECTS)('two instances sharing two mailboxes on %s', (dialect) => {
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  let now: Date;
  const clock = { now: () => now };
  const later = (ms: number) => (now = new Date(now.getTime() + ms));

  beforeEach(async () => {
    ({ one, two, close } = await openTwoInstances(dialect));
    now = new Date('2026-12-06T12:00:00Z');
  });
  afterEach(async () => close());

  function instance(db: Db, holder: string, events: string[]) {
    return createMailboxShare({
      mailboxes: ['support', 'billing'],
      holder,
      leases: createMailboxLeaseRepository({ db }),
      clock,
      ttlMs: 20_000,
      heartbeatMs: 60_000, // beats are driven by hand (start, beat), never by the timer within a test
      onTaken: (mailbox) => void events.push(`${holder} syncs ${mailbox}`),
      onLost: (mailbox) => void events.push(`${holder} stops ${mailbox}`),
    });
  }
  const held = (share: ReturnType<typeof instance>) => share.status().filter((lease) => lease.held).map((lease) => lease.name);

  it('splits them one each, takes the mailboxes of an instance that died, and gives one back to a new instance', async () => {
    const events: string[] = [];
    const a = instance(one, 'host-a:1', events);
    const b = instance(two, 'host-b:2', events);
    await a.start(); // alone: takes both
    await b.start(); // both held: nothing yet
    expect([held(a), held(b)]).toEqual([['support', 'billing'], []]);
    expect(b.instances()).toBe(2);
    later(1_000);
    await a.beat(); // two live instances: a hands its second mailbox over
    later(1_000);
    await b.beat();
    expect([held(a), held(b)]).toEqual([['support'], ['billing']]);
    expect(events).toEqual(['host-a:1 syncs support', 'host-a:1 syncs billing', 'host-a:1 stops billing', 'host-b:2 syncs billing']);

    // a is killed: no more beats, no withdrawal. Once its lease and presence expire, b takes support too.
    later(10_000);
    await b.beat();
    expect(held(b)).toEqual(['billing']); // not yet: a's lease runs 20 s from its last beat
    later(15_000);
    await b.beat();
    expect(held(b)).toEqual(['support', 'billing']);
    expect(b.instances()).toBe(1);

    // a new instance joins: b keeps one and hands the other over.
    const c = instance(one, 'host-c:3', events);
    await c.start();
    expect(held(c)).toEqual([]);
    later(1_000);
    await b.beat();
    later(1_000);
    await c.beat();
    expect([held(b), held(c)]).toEqual([['support'], ['billing']]);

    // c stops cleanly: it withdraws and lets go, and b takes billing at its next beat.
    await c.stop();
    later(1_000);
    await b.beat();
    expect(held(b)).toEqual(['support', 'billing']);
    expect(events.slice(-4)).toEqual(['host-b:2 stops billing', 'host-c:3 syncs billing', 'host-c:3 stops billing', 'host-b:2 syncs billing']);
    await b.stop();
    await a.stop();
  });

  it('an instance at its share leaves a handed-over mailbox to the others, and takes it after a heartbeat if nobody did', async () => {
    const events: string[] = [];
    const a = instance(one, 'host-a:1', events);
    const b = instance(two, 'host-b:2', events);
    await a.start();
    await b.start();
    later(1_000);
    await a.beat(); // hands billing over; b does not beat (stalled, not dead)
    expect(held(a)).toEqual(['support']);
    later(1_000);
    await a.beat(); // at its share: billing is left to b for a heartbeat
    expect(held(a)).toEqual(['support']);
    later(60_000); // a heartbeat, and b's presence expired
    await a.beat();
    expect(held(a)).toEqual(['support', 'billing']);
    await a.stop();
    await b.stop();
  });
});

describe.each(DIALECTS)('the presence of instances on %s', (dialect) => {
  it('counts the instances announced and not expired, and forgets one that withdrew', async () => {
    const { one, two, close } = await openTwoInstances(dialect);
    try {
      const now = new Date('2026-12-06T12:00:00Z');
      const a = createMailboxLeaseRepository({ db: one });
      const b = createMailboxLeaseRepository({ db: two });
      await a.announce({ holder: 'a:1', now, ttlMs: 20_000 });
      await b.announce({ holder: 'b:2', now, ttlMs: 10_000 });
      expect(await a.liveInstances(now)).toBe(2);
      expect(await a.liveInstances(new Date(now.getTime() + 15_000))).toBe(1);
      await a.announce({ holder: 'a:1', now: new Date(now.getTime() + 15_000), ttlMs: 20_000 }); // renewed, not doubled
      expect(await b.liveInstances(new Date(now.getTime() + 15_000))).toBe(1);
      await a.withdraw({ holder: 'a:1' });
      expect(await b.liveInstances(now)).toBe(1);
    } finally {
      await close();
    }
  });
});
