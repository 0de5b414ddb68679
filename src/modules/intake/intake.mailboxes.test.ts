import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { plusAddress } from '../threading/reply-token.models.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createIntake, type Intake } from './intake.usecases.js';

const secret = 'unit-test-secret';

// Two mailboxes of one IMAP login (issue 18): help@ (CS) in INBOX, billing@ (BILL) in the Billing folder.
const config = configSchema.parse({
  imap: {
    host: '127.0.0.1',
    user: 'help@cloudsoft.test',
    mailboxes: [
      { name: 'support', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS' },
      { name: 'billing', folder: 'Billing', address: 'Billing@cloudsoft.test', prefix: 'BILL' },
    ],
  },
  smtp: { host: '127.0.0.1' },
  support: {
    address: 'help@cloudsoft.test',
    name: 'Cloudsoft Support',
    ticketPrefix: 'CS',
    customerDomains: ['acme.test'],
    engineerDomains: ['cloudsoft.test'],
    engineerNotify: ['oncall@cloudsoft.test'],
    requireRegistration: false,
  },
  security: { replyTokenSecret: secret, senderAuth: 'off' },
  pager: { kind: 'pagerduty', routingKey: 'rk' },
});

type MailSpec = { from: string; to?: string; cc?: string; subject: string; messageId: string; inReplyTo?: string; body?: string; extra?: string[] };
function mail({ from, to = 'billing@cloudsoft.test', cc, subject, messageId, inReplyTo, body = 'Invoice 4711 is charged twice.', extra = [] }: MailSpec): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: ${to}`,
      ...(cc ? [`Cc: ${cc}`] : []),
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`] : []),
      'Date: Wed, 25 Nov 2026 09:00:00 +0000',
      ...extra,
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe('a desk with several mailboxes (in-memory database, real migrations)', () => {
  let db: Db;
  let intake: Intake;
  let uid: number;
  const now = new Date('2026-11-25T09:00:00Z');
  const ingest = (raw: Buffer, source: string) => intake.ingestRaw({ raw, source, uidValidity: '1', uid: (uid += 1) });
  const emails = async () => (await createOutboxRepository({ db }).list()).flatMap((item) => (item.payload.kind === 'email' ? [{ key: item.effectKey, mail: item.payload.mail }] : []));
  const emailOf = async (key: string): Promise<OutboundMail | undefined> => (await emails()).find((item) => item.key === key)?.mail;
  const ticket = (ref: string) => createTicketsRepository({ db }).findByRef(ref);
  const messages = async (ref: string) => createTicketsRepository({ db }).listMessages((await ticket(ref))?.id ?? 0);
  const openBilling = () => ingest(mail({ from: 'Alice <alice@acme.test>', subject: 'Charged twice', messageId: 'alice-1@mail.acme.test' }), 'billing');

  beforeEach(async () => {
    db = await openTestDatabase();
    uid = 0;
    intake = createIntake({ db, config, clock: { now: () => now }, ...temporaryStores() });
  });
  afterEach(async () => db.close());

  it('opens a ticket of the billing mailbox with its prefix and confirms it from billing@', async () => {
    expect(await openBilling()).toMatchObject({ outcome: 'ticket', ticketRef: 'BILL-1' });
    const confirmation = (await emails()).find((item) => item.key.startsWith('confirmation:'))?.mail;
    expect(confirmation?.from).toBe('Cloudsoft Support <billing@cloudsoft.test>');
    expect(confirmation?.to).toEqual(['alice@acme.test']);
    expect(confirmation?.subject).toBe('Re: [BILL-1] Charged twice');
    expect(confirmation?.headers?.['X-Loop']).toBe('billing@cloudsoft.test');
    expect(confirmation?.messageId).toMatch(/^bill-1\.[0-9a-f]{20}\..+@cloudsoft\.test$/);
    const recorded = (await messages('BILL-1')).filter((row) => row.direction === 'outbound').map((row) => row.fromAddress);
    expect(recorded).toEqual(['billing@cloudsoft.test', 'billing@cloudsoft.test']);
  });

  it('notifies the engineers from billing@ with a Reply-To of the billing mailbox', async () => {
    await openBilling();
    const notice = await emailOf('notify:BILL-1');
    expect(notice?.from).toBe('Cloudsoft Support <billing@cloudsoft.test>');
    expect(notice?.replyTo).toBe(plusAddress({ supportAddress: 'billing@cloudsoft.test', ref: 'BILL-1', secret }));
    expect(notice?.headers?.['X-Loop']).toBe('billing@cloudsoft.test');
  });

  it('threads a customer reply naming [BILL-1] in its subject into the billing ticket, and mails no mailbox of ours as an engineer', async () => {
    await openBilling();
    const reply = await ingest(mail({ from: 'Alice <alice@acme.test>', subject: 'Re: [BILL-1] Charged twice', messageId: 'alice-2@mail.acme.test', body: 'Any news?' }), 'billing');
    expect(reply).toMatchObject({ outcome: 'reply', ticketRef: 'BILL-1' });
    // billing@'s own confirmation is on the ticket, from the engineers' domain: it is not an engineer who answered.
    expect((await emails()).filter((item) => item.key.startsWith('followup:'))).toEqual([]);
  });

  it('threads a reply addressed to the signed plus address of the billing mailbox', async () => {
    await openBilling();
    const to = plusAddress({ supportAddress: 'billing@cloudsoft.test', ref: 'BILL-1', secret });
    const reply = await ingest(mail({ from: 'Alice <alice@acme.test>', to, subject: 'One more thing', messageId: 'alice-3@mail.acme.test', body: 'It was three times.' }), 'billing');
    expect(reply).toMatchObject({ outcome: 'reply', ticketRef: 'BILL-1' });
  });

  it("relays an engineer's answer to the notification to the customer from billing@", async () => {
    await openBilling();
    const notice = await emailOf('notify:BILL-1');
    const answer = await ingest(mail({ from: 'Erin <erin@cloudsoft.test>', to: notice?.replyTo ?? '', subject: 'Re: charged twice', messageId: 'erin-1@cloudsoft.test', body: 'Refunded, sorry.' }), 'support');
    expect(answer).toMatchObject({ outcome: 'reply', ticketRef: 'BILL-1' });
    const relay = (await emails()).find((item) => item.key.startsWith('relay:'))?.mail;
    expect(relay?.from).toBe('Erin (Cloudsoft Support) <billing@cloudsoft.test>');
    expect(relay?.replyTo).toBe('billing@cloudsoft.test');
    expect(relay?.to).toEqual(['alice@acme.test']);
    expect(relay?.subject).toBe('Re: [BILL-1] Charged twice');
    expect(relay?.headers?.['X-Loop']).toBe('billing@cloudsoft.test');
  });

  it("sends a billing ticket's SLA warning from billing@", async () => {
    await openBilling();
    const row = await ticket('BILL-1');
    if (!row) throw new Error('no BILL-1');
    await createPaging({ db, config, clock: { now: () => now } }).enqueueSlaWarning({ ticket: row, target: '4 hours', dueAt: new Date('2026-11-25T13:00:00Z'), engineers: ['oncall@cloudsoft.test'], at: now });
    const warning = (await emails()).find((item) => item.key === 'mail:BILL-1:sla-warning')?.mail;
    expect(warning?.from).toBe('Cloudsoft Support <billing@cloudsoft.test>');
    expect(warning?.messageId).toMatch(/@cloudsoft\.test$/);
  });

  it('writes the notes of a billing ticket from billing@', async () => {
    await openBilling();
    await ingest(mail({ from: 'Erin <erin@cloudsoft.test>', subject: 'Re: [BILL-1] Charged twice', messageId: 'erin-2@cloudsoft.test', body: '#participant add bob@acme.test' }), 'support');
    const notes = (await messages('BILL-1')).filter((row) => row.subject === '(note)');
    expect(notes.map((row) => row.fromAddress)).toEqual(['billing@cloudsoft.test']);
    expect(notes[0]?.bodyText).toContain('bob@acme.test added as a participant');
  });

  it('never makes a mailbox of ours a participant', async () => {
    await ingest(mail({ from: 'Alice <alice@acme.test>', to: 'billing@cloudsoft.test', cc: 'Help@cloudsoft.test, help+x@cloudsoft.test, bob@acme.test', subject: 'Charged twice', messageId: 'alice-4@mail.acme.test' }), 'billing');
    const row = await ticket('BILL-1');
    expect(await createLifecycle({ db, config }).repository.listParticipants(row?.id ?? 0)).toEqual(['bob@acme.test']);
  });

  it('opens tickets of the support mailbox, LMTP and the portal with the desk prefix, confirmed from help@', async () => {
    expect(await ingest(mail({ from: 'Alice <alice@acme.test>', to: 'help@cloudsoft.test', subject: 'Printer on fire', messageId: 'alice-5@mail.acme.test' }), 'support')).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-1' });
    expect(await intake.ingestRaw({ raw: mail({ from: 'Bob <bob@acme.test>', to: 'help@cloudsoft.test', subject: 'Disk full', messageId: 'bob-1@mail.acme.test' }), source: 'lmtp' })).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-2' });
    const web = await intake.submitWeb({ author: { email: 'carol@acme.test', name: 'Carol' }, kind: 'new-ticket', subject: 'Login broken', severity: 'SEV3', text: 'Nobody can log in.', files: [], submissionId: 'web-form-0123456789' });
    expect(web).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-3' });
    const confirmations = (await emails()).filter((item) => item.key.startsWith('confirmation:')).map((item) => [item.mail.subject, item.mail.from]);
    expect(confirmations).toEqual([
      ['Re: [CS-1] Printer on fire', 'Cloudsoft Support <help@cloudsoft.test>'],
      ['Re: [CS-2] Disk full', 'Cloudsoft Support <help@cloudsoft.test>'],
      ['Re: [CS-3] Login broken', 'Cloudsoft Support <help@cloudsoft.test>'],
    ]);
    expect((await emailOf('notify:CS-1'))?.replyTo).toBe(plusAddress({ supportAddress: 'help@cloudsoft.test', ref: 'CS-1', secret }));
  });

  it('threads a ref of either prefix whichever mailbox the reply arrives in', async () => {
    await openBilling();
    expect(await ingest(mail({ from: 'Alice <alice@acme.test>', to: 'help@cloudsoft.test', subject: 'Printer on fire', messageId: 'alice-6@mail.acme.test' }), 'support')).toMatchObject({ ticketRef: 'CS-2' });
    expect(await ingest(mail({ from: 'Alice <alice@acme.test>', to: 'billing@cloudsoft.test', subject: 'Re: [CS-2] Printer on fire', messageId: 'alice-7@mail.acme.test' }), 'billing')).toMatchObject({ outcome: 'reply', ticketRef: 'CS-2' });
    expect(await ingest(mail({ from: 'Alice <alice@acme.test>', to: 'help@cloudsoft.test', subject: 'Re: [BILL-1] Charged twice', messageId: 'alice-8@mail.acme.test' }), 'support')).toMatchObject({ outcome: 'reply', ticketRef: 'BILL-1' });
  });

  it('recognises mail from billing@ as our own: a loop, not a ticket, and no reply to it', async () => {
    const loop = await ingest(mail({ from: 'Cloudsoft Support <billing@cloudsoft.test>', to: 'help@cloudsoft.test', subject: 'Re: something', messageId: 'loop-1@cloudsoft.test' }), 'support');
    expect(loop).toMatchObject({ outcome: 'quarantined', reason: 'mail-loop', ticketRef: undefined });
    expect(await createTicketsRepository({ db }).listTickets()).toEqual([]);
    expect(await emails()).toEqual([]);
  });

  it('sends no confirmation to mail that carries the X-Loop of billing@', async () => {
    expect(await ingest(mail({ from: 'Alice <alice@acme.test>', subject: 'Fwd: charged twice', messageId: 'alice-9@mail.acme.test', extra: ['X-Loop: billing@cloudsoft.test'] }), 'billing')).toMatchObject({ outcome: 'ticket', ticketRef: 'BILL-1' });
    expect((await emails()).filter((item) => item.key.startsWith('confirmation:'))).toEqual([]);
  });
});
