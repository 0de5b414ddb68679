import { count } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { createError } from '../../shared/errors.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { inboundMessages } from '../inbound-log/inbound-log.tables.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { createInProcessParser, type MessageParser } from './parse-pool.js';
import { createIntake, type StoredArrival } from './intake.usecases.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

const config = configSchema.parse({
  database: { path: ':memory:' },
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], requireRegistration: false },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  security: { senderAuth: 'off' },
});

const mail = ({ id, subject = 'SEV2 exports fail', inReplyTo }: { id: string; subject?: string; inReplyTo?: string }) =>
  Buffer.from(
    [
      'From: alice@acme.test',
      'To: help@cloudsoft.test',
      `Subject: ${subject}`,
      `Message-ID: <${id}>`,
      ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`] : []),
      'Date: Wed, 25 Nov 2026 09:00:00 +0000',
      '',
      `Text of ${id}.`,
      '',
    ].join('\r\n'),
  );

/** `failOn`: the parser throws a store error (not a quarantine: the pipeline gives up) for this Message-ID. */
async function setup({ failOn }: { failOn?: string } = {}) {
  const db = await openTestDatabase();
  const now = new Date('2026-11-25T09:00:00Z');
  await seedCustomerDomains({ db, domains: config.support.customerDomains, at: now });
  const stores = temporaryStores();
  const inner = createInProcessParser({ rawStore: stores.rawStore, attachmentStore: stores.attachmentStore, supportAddress: config.support.address });
  let failing = failOn;
  const parser: MessageParser = {
    async parse(input, options) {
      if (failing && input.raw?.includes(failing)) throw createError({ code: 'store.write_failed', message: 'disk full' });
      return inner.parse(input, options);
    },
    close: inner.close,
  };
  const intake = createIntake({ db, config, clock: { now: () => now }, ...stores, parser });
  const arrive = async (raws: Buffer[], firstUid: number): Promise<StoredArrival[]> =>
    Promise.all(raws.map(async (raw, index) => ({ blob: await stores.rawStore.put(raw), raw, source: 'INBOX', uidValidity: '7', uid: firstUid + index })));
  return { db, intake, arrive, heal: () => (failing = undefined), inbound: createInboundLogRepository({ db }), outbox: createOutboxRepository({ db }), tickets: createTicketsRepository({ db }) };
}

describe('a backlog batch: parsed together, committed in order', () => {
  it('records every message once, in UID order, so a reply in the same batch threads into the ticket opened before it', async () => {
    const { intake, arrive, inbound, db } = await setup();
    const batch = await arrive([mail({ id: 'a1@acme.test' }), mail({ id: 'a2@acme.test', subject: 'Re: SEV2 exports fail', inReplyTo: 'a1@acme.test' }), mail({ id: 'a1@acme.test' }), mail({ id: 'b1@acme.test', subject: 'SEV4 a question' })], 1);

    const { results, error } = await intake.ingestStoredBatch(batch);

    expect(error).toBeUndefined();
    expect(results.map((result) => [result.outcome, result.ticketRef])).toEqual([
      ['ticket', 'CS-1'],
      ['reply', 'CS-1'],
      ['duplicate', 'CS-1'],
      ['ticket', 'CS-2'],
    ]);
    expect(await inbound.countByOutcome()).toEqual({ ticket: 2, reply: 1, duplicate: 1 });
    expect(await inbound.getCursor('INBOX')).toMatchObject({ uidValidity: '7', lastUid: 4 });
    // The same batch again (a resync after a lost mark): already recorded, nothing new.
    const again = await intake.ingestStoredBatch(batch);
    expect(again.results.map((result) => result.alreadyIngested)).toEqual([true, true, true, true]);
    const t = db.tables({ inboundMessages });
    expect(await db.select({ n: count() }).from(t.inboundMessages)).toEqual([{ n: 4 }]);
  });

  it('records nothing, not even the cursor, when the fence says the mailbox lease was lost', async () => {
    const { intake, arrive, inbound, outbox } = await setup();
    let fenced = 0;
    const fence = async () => {
      fenced += 1;
      throw createError({ code: 'MAILBOX_LEASE_LOST', message: 'another instance took the lease' });
    };
    const batch = (await arrive([mail({ id: 'f1@acme.test' }), mail({ id: 'f2@acme.test' })], 1)).map((arrival) => ({ ...arrival, fence }));

    const { results, error } = await intake.ingestStoredBatch(batch);

    expect(error).toMatchObject({ code: 'MAILBOX_LEASE_LOST' });
    expect(results).toEqual([]);
    expect(fenced).toBe(1); // one fence, checked once for the transaction
    expect(await inbound.countByOutcome()).toEqual({});
    expect(await inbound.getCursor('INBOX')).toBeUndefined();
    expect(await outbox.countPending()).toBe(0);
  });

  it('gives the same outcomes and effects as one message at a time', async () => {
    const raws = [mail({ id: 'a1@acme.test' }), mail({ id: 'a2@acme.test', subject: 'Re: [CS-1] SEV2 exports fail', inReplyTo: 'a1@acme.test' }), mail({ id: 'c1@acme.test', subject: 'SEV1 all down' })];
    const one = await setup();
    for (const arrival of await one.arrive(raws, 1)) await one.intake.ingestStored(arrival);
    const many = await setup();
    await many.intake.ingestStoredBatch(await many.arrive(raws, 1));

    const effects = async (outbox: typeof one.outbox) => (await outbox.list()).map((row) => [row.kind, row.ticketId]);
    expect(await effects(many.outbox)).toEqual(await effects(one.outbox));
    expect((await effects(many.outbox)).length).toBeGreaterThan(3);
    expect(await many.inbound.countByOutcome()).toEqual(await one.inbound.countByOutcome());
  });

  it('stops at a message that fails: the ones before it stay committed with the cursor, none after it is recorded', async () => {
    const { intake, arrive, inbound, heal, outbox } = await setup({ failOn: 'm3@acme.test' });
    const batch = await arrive(['m1', 'm2', 'm3', 'm4'].map((id) => mail({ id: `${id}@acme.test`, subject: `SEV3 case ${id}` })), 11);

    const { results, error } = await intake.ingestStoredBatch(batch);

    expect(results.map((result) => result.outcome)).toEqual(['ticket', 'ticket']);
    expect(error).toMatchObject({ code: 'store.write_failed' });
    expect(await inbound.countByOutcome()).toEqual({ ticket: 2 });
    expect(await inbound.getCursor('INBOX')).toMatchObject({ lastUid: 12 });
    // Effects only for the two committed tickets (a confirmation and a page each).
    expect([...new Set((await outbox.list()).map((row) => row.ticketId))]).toEqual([1, 2]);

    // The next pass starts after the cursor: the failed message and the one behind it, each once.
    heal();
    const retry = await intake.ingestStoredBatch(batch.slice(2));
    expect(retry.error).toBeUndefined();
    expect(await inbound.countByOutcome()).toEqual({ ticket: 4 });
    expect(await inbound.getCursor('INBOX')).toMatchObject({ lastUid: 14 });
  });
});
