import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createMailboxLeaseRepository } from '../inbound-log/mailbox-lease.repository.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from './outbox.repository.js';
import { createOutboxWorker } from './outbox.worker.js';

const at = new Date('2026-12-06T03:00:00.000Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const mail: OutboundMail = { from: 'help@cloudsoft.test', to: ['alice@acme.test'], subject: 'Hello', text: 'Hi', messageId: 'hello.1@cloudsoft.test' };

// Issue 18: an instance on another host killed mid-delivery. Its pid means nothing here, so only its presence
// (the instances table its mailbox share renews) can say it is dead before its 5-minute delivery lease runs out.
describe.each(DIALECTS)('deliveries left behind by an instance on another host, on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  async function leftBehind({ presenceTtlMs }: { presenceTtlMs: number }) {
    const outbox = createOutboxRepository({ db });
    const leases = createMailboxLeaseRepository({ db });
    await outbox.enqueue({ effectKey: 'confirmation:CS-1', ticketId: null, payload: { kind: 'email', mail }, at });
    const [row] = await outbox.list();
    await leases.announce({ holder: 'host-0:4242', now: at, ttlMs: presenceTtlMs });
    expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 5 * 60_000, owner: 'host-0:4242' })).toBe(true);
    const sent: OutboundMail[] = [];
    const worker = createOutboxWorker({
      repository: outbox,
      mailSender: { send: async (item) => (sent.push(item), { response: '250 queued' }), verify: async () => undefined, close: () => undefined },
      pager: undefined,
      clock: { now: () => later(30_000) },
      maxAttempts: 3,
      maxAgeMs: 86_400_000,
      pollMs: 1000,
      owner: 'host-1:77',
      // The other host's pid may well exist here: it must not matter.
      isProcessAlive: () => false,
      lapsedOwners: (now) => leases.lapsedInstances(now),
    });
    return { outbox, row: row!, sent, worker };
  }

  it('delivers them once that instance stopped renewing its presence, long before their lease runs out', async () => {
    const { outbox, row, sent, worker } = await leftBehind({ presenceTtlMs: 20_000 });
    expect(await worker.runOnce()).toBe(1);
    expect(sent.map((item) => item.messageId)).toEqual(['hello.1@cloudsoft.test']);
    expect(await outbox.findById(row.id)).toMatchObject({ status: 'sent', leaseUntil: null });
  });

  it('leaves them to an instance whose presence is still renewed', async () => {
    const { outbox, row, sent, worker } = await leftBehind({ presenceTtlMs: 60_000 });
    expect(await worker.runOnce()).toBe(0);
    expect(sent).toEqual([]);
    expect(await outbox.findById(row.id)).toMatchObject({ status: 'pending', leaseOwner: 'host-0:4242' });
  });

  it('forgets the presence of an instance dead for a day at the next announce, and no live one', async () => {
    const leases = createMailboxLeaseRepository({ db });
    await leases.announce({ holder: 'old:1', now: at, ttlMs: 20_000 });
    await leases.announce({ holder: 'recent:2', now: later(3_600_000), ttlMs: 20_000 });
    await leases.announce({ holder: 'live:3', now: later(25 * 3_600_000), ttlMs: 20_000 });
    expect((await leases.lapsedInstances(later(25 * 3_600_000))).sort()).toEqual(['recent:2']);
    expect(await leases.liveInstances(later(25 * 3_600_000))).toBe(1);
  });
});
