import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createIntake } from './intake.usecases.js';
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

async function setup() {
  const db = await openTestDatabase();
  const now = new Date('2026-11-25T09:00:00Z');
  await seedCustomerDomains({ db, domains: config.support.customerDomains, at: now });
  const intake = createIntake({ db, config, clock: { now: () => now }, ...temporaryStores() });
  return { intake, inbound: createInboundLogRepository({ db }), outbox: createOutboxRepository({ db }) };
}

const mail = (from: string, id: string) =>
  Buffer.from([`From: ${from}`, 'To: help@cloudsoft.test', 'Subject: SEV2 exports fail', `Message-ID: <${id}>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', '', 'They time out.', ''].join('\r\n'));

describe('input that is not an ordinary new mail', () => {
  it('quarantines a file that is not a mail as not-a-mail, parses nothing, answers nobody', async () => {
    const { intake, inbound, outbox } = await setup();
    const result = await intake.ingestRaw({ raw: Buffer.from('{\n  "name": "ticketd"\n}\n'), source: 'file' });
    expect(result).toMatchObject({ outcome: 'quarantined', reason: expect.stringMatching(/^not-a-mail: no header block/), alreadyIngested: false });
    expect(await inbound.listQuarantined()).toEqual([expect.objectContaining({ fromAddress: '', subject: '', reason: result.reason })]);
    expect(await outbox.list()).toEqual([]);
  });

  it('keeps one record for the same bytes ingested twice from a file, whatever their outcome, and does nothing again', async () => {
    const { intake, inbound, outbox } = await setup();
    const junk = Buffer.from('{ "not": "mail" }\n');
    const first = await intake.ingestRaw({ raw: junk, source: 'file' });
    const again = await intake.ingestRaw({ raw: junk, source: 'file' });
    expect(again).toEqual({ inboundId: first.inboundId, outcome: 'duplicate', reason: `same bytes as message ${first.inboundId}, recorded as quarantined: ${first.reason}`, ticketRef: undefined, alreadyIngested: true });

    const stranger = mail('mallory@unknown.test', 'm1@unknown.test');
    await intake.ingestRaw({ raw: stranger, source: 'file' });
    await intake.ingestRaw({ raw: stranger, source: 'file' });
    expect(await inbound.listQuarantined()).toHaveLength(2);
    // One refusal for the stranger, not two.
    expect(await outbox.list()).toHaveLength(1);

    const opened = await intake.ingestRaw({ raw: mail('alice@acme.test', 'a1@acme.test'), source: 'file' });
    const repeated = await intake.ingestRaw({ raw: mail('alice@acme.test', 'a1@acme.test'), source: 'file' });
    expect(repeated).toMatchObject({ inboundId: opened.inboundId, outcome: 'duplicate', ticketRef: opened.ticketRef, alreadyIngested: true });
    expect(await inbound.countByOutcome()).toEqual({ quarantined: 2, ticket: 1 });
  });

  it('still records each IMAP arrival of the same bytes under its own UID (the folder cursor needs it)', async () => {
    const { intake, inbound } = await setup();
    const raw = mail('alice@acme.test', 'imap-1@acme.test');
    const first = await intake.ingestRaw({ raw, source: 'INBOX', uidValidity: '7', uid: 1 });
    const second = await intake.ingestRaw({ raw, source: 'INBOX', uidValidity: '7', uid: 2 });
    expect(first.outcome).toBe('ticket');
    expect(second).toMatchObject({ outcome: 'duplicate', alreadyIngested: false });
    expect(await inbound.countByOutcome()).toEqual({ ticket: 1, duplicate: 1 });
  });
});
