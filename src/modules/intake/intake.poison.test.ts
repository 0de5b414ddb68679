import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { createError } from '../../shared/errors.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { createIntake, type StoredArrival } from './intake.usecases.js';
import { POISON_STRIKES } from './poison-message.models.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], requireRegistration: false },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  security: { senderAuth: 'off' },
});

const mail = (id: string, subject: string) =>
  Buffer.from(['From: alice@acme.test', 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${id}>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', '', `Text of ${id}.`, ''].join('\r\n'));

/**
 * A message whose commit fails the same way at every try must not block its mailbox (issue 18: a NUL byte on
 * PostgreSQL did, for good). Stand-in for such a failure: a bug on one message's path, the confirmation's
 * template throwing for its subject, inside the write transaction like the database's refusal was.
 */
describe.each(DIALECTS)('a message that fails at every commit, on %s', (dialect) => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  async function setup() {
    db = await openTestDatabase(dialect);
    const real = requireMailTemplates({ dir: config.templates.dir });
    const templates: MailTemplates = {
      ...real,
      render: ((name, view) => {
        if (JSON.stringify(view).includes('POISON')) throw new Error('template exploded\u001b[31m on this one');
        return real.render(name, view);
      }) as MailTemplates['render'],
    };
    const stores = temporaryStores();
    const now = new Date('2026-11-25T09:00:00Z');
    const intake = createIntake({ db, config, clock: { now: () => now }, ...stores, templates });
    const arrive = async (raws: Buffer[], firstUid: number): Promise<StoredArrival[]> =>
      Promise.all(raws.map(async (raw, index) => ({ blob: await stores.rawStore.put(raw), raw, source: 'INBOX', uidValidity: '7', uid: firstUid + index })));
    return { db, intake, arrive, inbound: createInboundLogRepository({ db }), outbox: createOutboxRepository({ db }) };
  }

  it(`is tried ${POISON_STRIKES} times, then recorded quarantined with the error, and the mail after it goes on`, async () => {
    const { intake, arrive, inbound, outbox } = await setup();
    const [good, poison, after] = await arrive([mail('good@acme.test', 'SEV2 exports fail'), mail('poison@acme.test', 'SEV2 POISON'), mail('after@acme.test', 'SEV3 slow')], 1);

    // The sync's first pass: the good one is committed, the batch stops at the poison one.
    const first = await intake.ingestStoredBatch([good!, poison!, after!]);
    expect(first.results.map((result) => result.outcome)).toEqual(['ticket']);
    expect(first.error).toMatchObject({ message: expect.stringContaining('template exploded') });
    // The next passes start again from it (the cursor is before it) and fail the same way.
    for (let pass = 2; pass <= POISON_STRIKES; pass += 1) {
      const again = await intake.ingestStoredBatch([poison!, after!]);
      expect(again.results).toEqual([]);
      expect(again.error).toBeDefined();
      expect(await inbound.getCursor('INBOX')).toMatchObject({ lastUid: 1 });
    }

    const last = await intake.ingestStoredBatch([poison!, after!]);
    expect(last.error).toBeUndefined();
    expect(last.results.map((result) => result.outcome)).toEqual(['quarantined', 'ticket']);
    expect(await inbound.getCursor('INBOX')).toMatchObject({ uidValidity: '7', lastUid: 3 });
    const [quarantined] = await inbound.listQuarantined();
    expect(quarantined).toMatchObject({ uid: 2, rawSha256: poison!.blob.sha256, messageId: null, subject: '', ticketId: null });
    expect(quarantined?.reason).toMatch(/^commit-failed: 4 tries failed, the last with: template exploded/);
    // No escape sequence from the failure reaches the reason (it is printed by `quarantine list`).
    expect(quarantined?.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(await inbound.countByOutcome()).toEqual({ ticket: 2, quarantined: 1 });
    // Nothing went out about it: two confirmations and two pages, for the two tickets.
    const confirmations = (await outbox.list()).filter((row) => row.effectKey.startsWith('confirmation:'));
    expect(confirmations.map((row) => row.effectKey)).toEqual([`confirmation:${first.results[0]?.inboundId}`, `confirmation:${last.results[1]?.inboundId}`]);
    // Recorded once: the same arrival again is already ingested.
    expect((await intake.ingestStoredBatch([poison!])).results[0]).toMatchObject({ alreadyIngested: true, outcome: 'quarantined' });
  });

  it('counts no try whose whole transaction failed (a lost lease): the database, not the message, was refused', async () => {
    const { intake, arrive, inbound } = await setup();
    const [poison] = await arrive([mail('poison@acme.test', 'SEV2 POISON')], 1);
    const fenced = { ...poison!, fence: async () => Promise.reject(createError({ code: 'MAILBOX_LEASE_LOST', message: 'another instance took the lease' })) };
    for (let pass = 0; pass < POISON_STRIKES + 2; pass += 1) expect((await intake.ingestStoredBatch([fenced])).error).toMatchObject({ code: 'MAILBOX_LEASE_LOST' });
    // Its own failures start counting only now.
    for (let pass = 1; pass <= POISON_STRIKES; pass += 1) expect((await intake.ingestStoredBatch([poison!])).error).toBeDefined();
    expect(await inbound.countByOutcome()).toEqual({});
    expect((await intake.ingestStoredBatch([poison!])).results[0]?.outcome).toBe('quarantined');
  });

  it('never quarantines a message an operator reprocesses: the failure goes back to them', async () => {
    const { intake, arrive, inbound } = await setup();
    const [poison] = await arrive([mail('poison@acme.test', 'SEV2 POISON')], 1);
    for (let pass = 0; pass <= POISON_STRIKES; pass += 1) await intake.ingestStoredBatch([poison!]);
    const [row] = await inbound.listQuarantined();
    for (let pass = 0; pass <= POISON_STRIKES + 1; pass += 1) await expect(intake.reprocess({ inboundId: row!.id })).rejects.toThrow('template exploded');
    expect(await inbound.findById(row!.id)).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^commit-failed/) });
  });
});
