import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { createHeldExpiryJob } from '../inbound-log/held-expiry.job.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { createIntake } from './intake.usecases.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

const config = configSchema.parse({
  database: { path: ':memory:' },
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: true },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  http: { publicUrl: 'https://support.cloudsoft.test' },
  security: { senderAuth: 'authres', authservId: 'mx.cloudsoft.test' },
});

async function setup() {
  const db = await openTestDatabase();
  let now = new Date('2026-11-25T09:00:00Z');
  const clock = { now: () => now };
  await seedCustomerDomains({ db, domains: config.support.customerDomains, at: now });
  const intake = createIntake({ db, config, clock, ...temporaryStores() });
  return {
    db,
    intake,
    customers: createCustomersRepository({ db }),
    outbox: createOutboxRepository({ db }),
    tickets: createTicketsRepository({ db }),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    now: () => now,
  };
}

function mail({ from, subject = 'Printer on fire', id, headers = [], body = 'It burns.', authres = `mx.cloudsoft.test; dmarc=pass header.from=${from.replace(/^.*@|>$/g, '')}` }: { from: string; subject?: string; id: string; headers?: string[]; body?: string; authres?: string | undefined }): Buffer {
  return Buffer.from(
    [...(authres ? [`Authentication-Results: ${authres}`] : []), `From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${id}>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', ...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'),
  );
}

const emails = async (outbox: ReturnType<typeof createOutboxRepository>) => (await outbox.list()).flatMap((item) => (item.payload.kind === 'email' ? [{ key: item.effectKey, to: item.payload.mail.to, subject: item.payload.mail.subject, text: item.payload.mail.text }] : []));
const pages = async (outbox: ReturnType<typeof createOutboxRepository>) => (await outbox.list()).filter((item) => item.kind === 'page');

describe('who may open a ticket', () => {
  it('holds mail from an unregistered sender of an approved domain and sends one pre-filled registration link', async () => {
    const { intake, outbox, tickets } = await setup();
    const result = await intake.ingestRaw({ raw: mail({ from: 'Bob <bob@acme.test>', id: 'm1@acme.test' }), source: 'file' });
    expect(result).toMatchObject({ outcome: 'held', reason: 'sender-not-registered', ticketRef: undefined });
    expect(await tickets.listTickets()).toEqual([]);
    expect(await pages(outbox)).toEqual([]);
    const [invite] = await emails(outbox);
    expect(invite?.to).toEqual(['bob@acme.test']);
    expect(invite?.text).toContain('https://support.cloudsoft.test/register?email=bob%40acme.test');
  });

  it('turns held mail into tickets in arrival order, with confirmations and pages, once the address is verified', async () => {
    const { intake, outbox, tickets, customers, advance, now } = await setup();
    await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'm1@acme.test', subject: 'SEV2 first' }), source: 'file' });
    advance(60_000);
    await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'm2@acme.test', subject: 'SEV3 second' }), source: 'file' });
    await customers.upsertUser({ email: 'bob@acme.test', name: 'Bob', status: 'verified', at: now() });
    const released = await intake.releaseHeld({ email: 'bob@acme.test' });
    expect(released.map((r) => [r.outcome, r.ticketRef])).toEqual([
      ['ticket', 'CS-1'],
      ['ticket', 'CS-2'],
    ]);
    expect((await tickets.listTickets()).map((t) => t.subject)).toEqual(['SEV2 first', 'SEV3 second']);
    expect(await pages(outbox)).toHaveLength(2);
    expect((await emails(outbox)).filter((mail) => mail.key.startsWith('confirmation:'))).toHaveLength(2);
    expect(await intake.releaseHeld({ email: 'bob@acme.test' })).toEqual([]);
  });

  it('quarantines held mail as sender-never-verified after limits.heldDays, and reprocess still makes it a ticket once the sender registers', async () => {
    const { db, intake, customers, tickets, advance, now } = await setup();
    const early = await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'old@acme.test', subject: 'SEV3 old question' }), source: 'file' });
    advance(13 * 86_400_000);
    const late = await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'new@acme.test', subject: 'SEV3 new question' }), source: 'file' });
    advance(1 * 86_400_000 + 1);
    const job = createHeldExpiryJob({ db, cron: '0 * * * *', heldDays: config.limits.heldDays, clock: { now } });

    expect(await job.runOnce()).toEqual([early.inboundId]);
    expect(await job.runOnce()).toEqual([]);
    const quarantined = await createInboundLogRepository({ db }).listQuarantined();
    expect(quarantined.map((row) => [row.id, row.reason])).toEqual([[early.inboundId, 'sender-never-verified: held 14 days without the sender confirming their address']]);
    expect((await createInboundLogRepository({ db }).listAllHeld()).map((row) => row.id)).toEqual([late.inboundId]);

    await customers.upsertUser({ email: 'bob@acme.test', name: 'Bob', status: 'verified', at: now() });
    expect(await intake.releaseHeld({ email: 'bob@acme.test' })).toMatchObject([{ outcome: 'ticket', ticketRef: 'CS-1' }]);
    expect(await intake.reprocess({ inboundId: early.inboundId })).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-2' });
    expect((await tickets.listTickets()).map((t) => t.subject)).toEqual(['SEV3 new question', 'SEV3 old question']);
  });

  it('opens a ticket at once for a verified user', async () => {
    const { intake, customers, now } = await setup();
    await customers.upsertUser({ email: 'carol@acme.test', name: 'Carol', status: 'verified', at: now() });
    expect(await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'c1@acme.test' }), source: 'file' })).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-1' });
  });

  it('quarantines an unapproved domain as sender-not-approved and answers politely, naming support for help', async () => {
    const { intake, outbox } = await setup();
    const result = await intake.ingestRaw({ raw: mail({ from: 'zed@unknown.test', id: 'z1@unknown.test' }), source: 'file' });
    expect(result).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-approved' });
    const [reply] = await emails(outbox);
    expect(reply?.to).toEqual(['zed@unknown.test']);
    expect(reply?.text).toContain('not in one of the approved customer domains');
    expect(reply?.text).toContain('help@cloudsoft.test');
  });

  it('quarantines approved-domain mail failing DMARC, or vouched for only by a foreign authserv-id: no ticket, page or reply', async () => {
    const { intake, outbox, customers, now } = await setup();
    await customers.upsertUser({ email: 'ceo@acme.test', name: 'CEO', status: 'verified', at: now() });
    const failed = await intake.ingestRaw({ raw: mail({ from: 'ceo@acme.test', id: 's1@evil.test', authres: 'mx.cloudsoft.test; dmarc=fail header.from=acme.test' }), source: 'file' });
    const forged = await intake.ingestRaw({ raw: mail({ from: 'ceo@acme.test', id: 's2@evil.test', authres: 'mx.evil.test; dmarc=pass header.from=acme.test' }), source: 'file' });
    expect(failed).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: dmarc=fail (mx.cloudsoft.test)' });
    expect(forged).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: no Authentication-Results from mx.cloudsoft.test' });
    expect(await outbox.list()).toEqual([]);
  });

  it('answers an autoresponder at most five times an hour however often it writes', async () => {
    const { intake, outbox, advance } = await setup();
    for (let round = 0; round < 200; round += 1) {
      await intake.ingestRaw({ raw: mail({ from: 'robot@unknown.test', id: `r${round}@unknown.test`, subject: 'Re: your message' }), source: 'file' });
      advance(1_000);
    }
    expect(await emails(outbox)).toHaveLength(5);
  });

  it('never answers mail marked as automatic (RFC 3834), even from an approved domain', async () => {
    const { intake, outbox } = await setup();
    await intake.ingestRaw({ raw: mail({ from: 'list@acme.test', id: 'l1@acme.test', headers: ['List-Id: <news.acme.test>'] }), source: 'file' });
    await intake.ingestRaw({ raw: mail({ from: 'x@unknown.test', id: 'x1@unknown.test', headers: ['Precedence: bulk'] }), source: 'file' });
    expect(await outbox.list()).toEqual([]);
  });

  it('quarantines new tickets beyond the hourly flood limit of one sender', async () => {
    const { intake, customers, now, advance } = await setup();
    await customers.upsertUser({ email: 'carol@acme.test', name: 'Carol', status: 'verified', at: now() });
    const outcomes: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      outcomes.push((await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: `f${index}@acme.test`, subject: `issue ${index}` }), source: 'file' })).outcome);
      advance(1_000);
    }
    expect(outcomes.filter((outcome) => outcome === 'ticket')).toHaveLength(10);
    expect(outcomes.slice(10)).toEqual(['quarantined', 'quarantined']);
  });

  it('records a bounce of our confirmation on its ticket, marks the address bouncing and sends nothing more to it', async () => {
    const { intake, outbox, customers, tickets, now } = await setup();
    await customers.upsertUser({ email: 'carol@acme.test', name: 'Carol', status: 'verified', at: now() });
    await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'c1@acme.test' }), source: 'file' });
    const confirmation = (await emails(outbox))[0];
    const ourId = (await tickets.listMessages(1)).find((m) => m.direction === 'outbound')?.messageId;
    const dsn = Buffer.from(
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>',
        'To: help@cloudsoft.test',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn1@mx.acme.test>',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.acme.test',
        '',
        'Final-Recipient: rfc822; carol@acme.test',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        'From: Support <help@cloudsoft.test>',
        'To: carol@acme.test',
        `Subject: ${confirmation?.subject}`,
        `Message-ID: <${ourId}>`,
        '',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const result = await intake.ingestRaw({ raw: dsn, source: 'file' });
    expect(result).toMatchObject({ outcome: 'bounce', ticketRef: 'CS-1' });
    expect(await tickets.listMessages(1)).toHaveLength(3);
    expect((await tickets.findByRef('CS-1'))?.status).toBe('new');
    expect(await customers.isBouncing('carol@acme.test')).toBe(true);
    expect((await customers.findUser('carol@acme.test'))?.bouncingSince).toBeInstanceOf(Date);
    expect(await pages(outbox)).toHaveLength(1);
    await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'c2@acme.test', subject: 'another' }), source: 'file' });
    expect(await emails(outbox)).toHaveLength(1);
  });

  it('records an out-of-office answer to our confirmation on the ticket without reopening or paging', async () => {
    const { intake, outbox, customers, tickets, now } = await setup();
    await customers.upsertUser({ email: 'carol@acme.test', name: 'Carol', status: 'verified', at: now() });
    await intake.ingestRaw({ raw: mail({ from: 'carol@acme.test', id: 'c1@acme.test' }), source: 'file' });
    const ourId = (await tickets.listMessages(1)).find((m) => m.direction === 'outbound')?.messageId;
    const oof = mail({ from: 'carol@acme.test', id: 'oof1@acme.test', subject: 'Automatic reply: Re: [CS-1] Printer on fire', headers: ['Auto-Submitted: auto-replied', `In-Reply-To: <${ourId}>`], body: 'I am out of office until Monday.' });
    expect(await intake.ingestRaw({ raw: oof, source: 'file' })).toMatchObject({ outcome: 'auto-reply', ticketRef: 'CS-1' });
    expect((await tickets.listMessages(1)).map((m) => m.messageId)).toContain('oof1@acme.test');
    expect((await tickets.findByRef('CS-1'))?.status).toBe('new');
    expect(await pages(outbox)).toHaveLength(1);
    expect(await emails(outbox)).toHaveLength(1);
  });
});

describe('releasing held mail', () => {
  it('handles each held message once even when two releases run at the same time', async () => {
    const { intake, customers, tickets, outbox, now } = await setup();
    await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'm1@acme.test' }), source: 'file' });
    await intake.ingestRaw({ raw: mail({ from: 'bob@acme.test', id: 'm2@acme.test', subject: 'second' }), source: 'file' });
    await customers.upsertUser({ email: 'bob@acme.test', name: 'Bob', status: 'verified', at: now() });
    const [one, two] = await Promise.all([intake.releaseHeld({ email: 'bob@acme.test' }), intake.releaseHeld({ email: 'bob@acme.test' })]);
    expect([...(one ?? []), ...(two ?? [])].filter((result) => !result.alreadyIngested).map((result) => result.outcome)).toEqual(['ticket', 'ticket']);
    expect(await tickets.listTickets()).toHaveLength(2);
    expect((await outbox.list()).filter((item) => item.kind === 'page')).toHaveLength(2);
  });
});
