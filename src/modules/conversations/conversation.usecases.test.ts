import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { createIntake, type Intake } from '../intake/intake.usecases.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createAutoCloseJob } from '../tickets/auto-close.job.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: {
    address: 'help@cloudsoft.test',
    name: 'Cloudsoft Support',
    customerDomains: ['acme.test', 'globex.test'],
    engineerDomains: ['cloudsoft.test'],
    engineerNotify: ['oncall@cloudsoft.test'],
    // Registration and sender authenticity have their own tests (intake.registration.test.ts).
    requireRegistration: false,
  },
  security: { replyTokenSecret: 'unit-test-secret', senderAuth: 'off' },
  pager: { kind: 'pagerduty', routingKey: 'rk' },
});

type MailSpec = { from: string; to?: string; cc?: string; subject: string; messageId?: string; inReplyTo?: string; references?: string; body: string; extra?: string[] };
function mail({ from, to = 'help@cloudsoft.test', cc, subject, messageId, inReplyTo, references, body, extra = [] }: MailSpec): Buffer {
  return Buffer.from(
    [
      `From: ${from}`,
      `To: ${to}`,
      ...(cc ? [`Cc: ${cc}`] : []),
      `Subject: ${subject}`,
      ...(messageId ? [`Message-ID: <${messageId}>`] : []),
      ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`] : []),
      ...(references ? [`References: ${references}`] : []),
      'Date: Wed, 25 Nov 2026 09:00:00 +0000',
      ...extra,
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe('conversations on one ticket (in-memory SQLite, real migrations)', () => {
  let db: Db;
  let intake: Intake;
  let now: Date;
  let uid: number;
  const clock = { now: () => now };
  const ingest = (raw: Buffer) => intake.ingestRaw({ raw, source: 'INBOX', uidValidity: '1', uid: (uid += 1) });
  const emails = async () => (await createOutboxRepository({ db }).list()).filter((item) => item.payload.kind === 'email').map((item) => ({ key: item.effectKey, mail: (item.payload as { mail: OutboundMail }).mail }));
  const pages = async () => (await createOutboxRepository({ db }).list()).filter((item) => item.kind === 'page').map((item) => item.effectKey);
  const ticket = (ref: string) => createTicketsRepository({ db }).findByRef(ref);
  const messages = async (ref: string) => createTicketsRepository({ db }).listMessages((await ticket(ref))?.id ?? 0);
  const participantsOf = (ticketId: number) => createLifecycle({ db, config }).repository.listParticipants(ticketId);

  beforeEach(async () => {
    db = await openTestDatabase();
    now = new Date('2026-11-25T09:00:00Z');
    uid = 0;
    intake = createIntake({ db, config, clock, ...temporaryStores() });
    await ingest(mail({ from: 'Alice <alice@acme.test>', cc: 'bob@acme.test, gina@globex.test', subject: 'Staging cannot pull images', messageId: 'alice-1@mail.acme.test', body: 'Pulls fail since 08:00.' }));
  });
  afterEach(async () => db.close());

  it('notifies the engineers of a new ticket with its text, severity, requester and a signed plus-address Reply-To', async () => {
    const notice = (await emails()).find((item) => item.key === 'notify:CS-1')?.mail;
    expect(notice?.to).toEqual(['oncall@cloudsoft.test']);
    expect(notice?.replyTo).toMatch(/^help\+cs-1\.[0-9a-f]{20}@cloudsoft\.test$/);
    expect(notice?.text).toContain('Pulls fail since 08:00.');
    expect(notice?.text).toContain('SEV3');
    expect(notice?.text).toContain('Alice <alice@acme.test>');
    expect(notice?.text).toContain('Organisation: acme.test');
    expect(notice?.inReplyTo).toBe('alice-1@mail.acme.test');
    expect(notice?.headers?.['Thread-Index']).toBeTruthy();
    // Everyone the requester put in Cc becomes a participant, whatever the domain (issue 15).
    expect(await participantsOf(1)).toEqual(['bob@acme.test', 'gina@globex.test']);
  });

  it("relays an engineer's reply to the customer in the customer's thread and opens the ticket", async () => {
    const replyTo = (await emails()).find((item) => item.key === 'notify:CS-1')?.mail.replyTo ?? '';
    now = new Date('2026-11-25T09:20:00Z');
    const result = await ingest(mail({ from: 'Erin <erin@cloudsoft.test>', to: replyTo, subject: 'Re: [CS-1] SEV3 new ticket', messageId: 'erin-1@cloudsoft.test', body: 'Fixed the registry credentials.\n#assign me\n\nOn Wed, Support wrote:\n> old stuff\n> #close' }));
    expect(result).toMatchObject({ outcome: 'reply', reason: 'token', ticketRef: 'CS-1' });
    const relay = (await emails()).find((item) => item.key.startsWith('relay:'))?.mail;
    expect(relay).toMatchObject({ to: ['alice@acme.test'], cc: ['bob@acme.test', 'gina@globex.test'], inReplyTo: 'alice-1@mail.acme.test', references: ['alice-1@mail.acme.test'], replyTo: 'help@cloudsoft.test' });
    expect(relay?.from).toContain('<help@cloudsoft.test>');
    expect(relay?.messageId).toMatch(/^cs-1\.[0-9a-f]{20}\./);
    expect(relay?.text).toContain('Fixed the registry credentials.');
    expect(relay?.text).not.toContain('#assign');
    expect(relay?.text).not.toContain('old stuff');
    expect(await ticket('CS-1')).toMatchObject({ status: 'open', assignee: 'erin@cloudsoft.test', firstRespondedAt: now });
  });

  it("mails a customer's follow-up to the engineers who answered (then to the assignee), threaded, and an engineer's answer to it is relayed", async () => {
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-2@acme.test', body: 'Any news?' }));
    // Nobody answered yet: the new-ticket notification went to engineerNotify, the follow-up goes to nobody.
    expect((await emails()).filter((item) => item.key.startsWith('followup:'))).toEqual([]);
    await ingest(mail({ from: 'Erin <erin@cloudsoft.test>', subject: 'Re: [CS-1] Staging', messageId: 'erin-1@cloudsoft.test', inReplyTo: '<alice-2@acme.test>', body: 'Looking into it.' }));
    await ingest(mail({ from: 'Bob <bob@acme.test>', subject: 'Re: [CS-1] Staging', messageId: 'bob-2@acme.test', inReplyTo: '<alice-2@acme.test>', body: 'It fails for me too.' }));
    const [followUp] = (await emails()).filter((item) => item.key.startsWith('followup:'));
    expect(followUp?.mail).toMatchObject({ to: ['erin@cloudsoft.test'], subject: 'Re: [CS-1] Staging cannot pull images', inReplyTo: 'bob-2@acme.test', headers: expect.objectContaining({ 'Thread-Index': expect.any(String) }) });
    expect(followUp?.mail.text).toContain('Bob <bob@acme.test> wrote on CS-1');
    expect(followUp?.mail.text).toContain('It fails for me too.');
    expect(followUp?.mail.replyTo).toMatch(/^help\+cs-1\./);
    const answer = await ingest(mail({ from: 'erin@cloudsoft.test', subject: followUp?.mail.subject ?? '', messageId: 'erin-2@cloudsoft.test', inReplyTo: `<${followUp?.mail.messageId}>`, body: 'Restart the agent, Bob.\n#assign me' }));
    expect(answer).toMatchObject({ outcome: 'reply', ticketRef: 'CS-1' });
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-3@acme.test', body: 'Works now.' }));
    expect((await emails()).filter((item) => item.key.startsWith('followup:')).map((item) => item.mail.to)).toEqual([['erin@cloudsoft.test'], ['erin@cloudsoft.test']]);
  });

  it('stores a #note for engineers only and a direct reply with help@ in Cc without sending either', async () => {
    const before = (await emails()).length;
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-note@cloudsoft.test', body: '#note\nCustomer is on the legacy registry.' }));
    await ingest(mail({ from: 'erin@cloudsoft.test', to: 'alice@acme.test', cc: 'help@cloudsoft.test', subject: 'Re: Staging cannot pull images', messageId: 'erin-direct@cloudsoft.test', inReplyTo: '<alice-1@mail.acme.test>', body: 'Calling you now.' }));
    expect(await emails()).toHaveLength(before);
    const stored = (await messages('CS-1')).filter((message) => message.fromAddress === 'erin@cloudsoft.test');
    expect(stored.map((message) => [message.visibility, message.bodyText])).toEqual([
      ['internal', 'Customer is on the legacy registry.'],
      ['public', 'Calling you now.'],
    ]);
    // The direct reply is a response: the note alone was not.
    expect((await ticket('CS-1'))?.status).toBe('open');
  });

  it('escalates on SEV1 in the new text of a follow-up, not on a quoted one, and pages once per severity', async () => {
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-2@mail.acme.test', inReplyTo: '<alice-1@mail.acme.test>', body: 'Any news?\n\nOn Tue, Bob wrote:\n> This is SEV1 for us' }));
    expect((await ticket('CS-1'))?.severity).toBe('SEV3');
    await ingest(mail({ from: 'bob@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'bob-1@mail.acme.test', inReplyTo: '<alice-2@mail.acme.test>', body: 'SEV1 now: production is down too.' }));
    expect(await ticket('CS-1')).toMatchObject({ severity: 'SEV1', priority: 'Urgent' });
    expect(await pages()).toEqual(['page:CS-1:trigger:SEV3', 'page:CS-1:trigger:SEV1']);
    // A customer cannot lower it again.
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-3@mail.acme.test', inReplyTo: '<bob-1@mail.acme.test>', body: 'SEV4 actually' }));
    expect((await ticket('CS-1'))?.severity).toBe('SEV1');
  });

  it('lets an engineer lower the severity with #severity, without a page, and raise it with one', async () => {
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-sev4@cloudsoft.test', body: '#severity SEV4\n#note' }));
    expect(await ticket('CS-1')).toMatchObject({ severity: 'SEV4', priority: 'Low', status: 'new' });
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-sev2@cloudsoft.test', body: '#severity SEV2' }));
    expect(await ticket('CS-1')).toMatchObject({ severity: 'SEV2', priority: 'High' });
    expect(await pages()).toEqual(['page:CS-1:trigger:SEV3', 'page:CS-1:trigger:SEV2']);
  });

  it("gives a foreign sender using another customer's ref in the subject alone a ticket of their own, with the ref noted", async () => {
    const result = await ingest(mail({ from: 'hank@globex.test', subject: 'Re: [CS-1] Staging cannot pull images', messageId: 'hank-1@globex.test', body: 'Same here?' }));
    expect(result).toMatchObject({ outcome: 'ticket', reason: 'foreign-ref-ignored: CS-1', ticketRef: 'CS-2' });
    expect((await messages('CS-1')).some((message) => message.fromAddress === 'hank@globex.test')).toBe(false);
    expect((await messages('CS-2')).find((message) => message.visibility === 'internal' && message.subject === '(note)')?.bodyText).toContain('CS-1');
  });

  it("keeps an outsider's reply to the ticket's mail on the ticket for engineers only, with no effect the customer sees", async () => {
    const before = { emails: (await emails()).length, pages: (await pages()).length, status: (await ticket('CS-1'))?.status };
    const result = await ingest(mail({ from: 'hank@globex.test', subject: 'Re: Staging cannot pull images', messageId: 'hank-2@globex.test', inReplyTo: '<alice-1@mail.acme.test>', body: 'We see it too.\n#participant remove bob@acme.test\nSEV1' }));
    expect(result).toMatchObject({ outcome: 'reply', reason: 'outside-organisation: in-reply-to', ticketRef: 'CS-1' });
    expect((await messages('CS-1')).find((message) => message.fromAddress === 'hank@globex.test')).toMatchObject({ visibility: 'internal', fromOutsideOrganisation: true, direction: 'inbound' });
    expect({ emails: (await emails()).length, pages: (await pages()).length, status: (await ticket('CS-1'))?.status }).toEqual(before);
    expect((await ticket('CS-1'))?.severity).toBe('SEV3');
    expect(await participantsOf(1)).toEqual(['bob@acme.test', 'gina@globex.test']);
  });

  it('lets an engineer let an outsider in with #participant add, after which their mail is a public reply and they get the relay in Cc', async () => {
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-add@cloudsoft.test', body: 'Hank is from the vendor.\n#participant add Hank <hank@globex.test>' }));
    expect((await emails()).find((item) => item.key === 'relay:' + String(uid))?.mail.cc).toEqual(['bob@acme.test', 'gina@globex.test', 'hank@globex.test']);
    const result = await ingest(mail({ from: 'hank@globex.test', subject: 'Re: Staging', messageId: 'hank-3@globex.test', inReplyTo: '<alice-1@mail.acme.test>', body: 'Restarted our proxy.' }));
    expect(result).toMatchObject({ outcome: 'reply', reason: 'in-reply-to' });
    expect((await messages('CS-1')).find((message) => message.messageId === 'hank-3@globex.test')).toMatchObject({ visibility: 'public', fromOutsideOrganisation: false });
    expect((await messages('CS-1')).some((message) => message.subject === '(note)' && message.bodyText.startsWith('hank@globex.test added as a participant by erin@cloudsoft.test'))).toBe(true);
  });

  it('lets the requester, and only the requester, take a participant out with #participant remove', async () => {
    await ingest(mail({ from: 'bob@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'bob-1@acme.test', body: '#participant remove gina@globex.test' }));
    expect(await participantsOf(1)).toEqual(['bob@acme.test', 'gina@globex.test']);
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-rm@acme.test', body: 'Gina left the project.\n#participant remove gina@globex.test' }));
    expect(await participantsOf(1)).toEqual(['bob@acme.test']);
    expect((await messages('CS-1')).some((message) => message.bodyText === 'gina@globex.test removed from the participants by alice@acme.test (the requester).')).toBe(true);
  });

  it('takes a Cc of an unapproved domain in as a participant, keeps a stranger answering the thread internal, and refuses a stranger starting anew', async () => {
    await ingest(mail({ from: 'alice@acme.test', cc: 'Carl <carl@partner.example>, noreply@partner.example, help+cs-1.0@cloudsoft.test, erin@cloudsoft.test', subject: 'Vendor outage', messageId: 'alice-v@acme.test', body: 'Carl from our vendor is in Cc.' }));
    expect(await participantsOf(2)).toEqual(['carl@partner.example']);
    expect(await ingest(mail({ from: 'carl@partner.example', subject: 'Re: [CS-2] Vendor outage', messageId: 'carl-1@partner.example', inReplyTo: '<alice-v@acme.test>', body: 'Our side is fixed.' }))).toMatchObject({ outcome: 'reply', reason: 'in-reply-to', ticketRef: 'CS-2' });
    expect(await ingest(mail({ from: 'dora@partner.example', subject: 'Re: Vendor outage', messageId: 'dora-1@partner.example', references: '<alice-v@acme.test> <carl-1@partner.example>', inReplyTo: '<carl-1@partner.example>', body: 'Confirmed.' }))).toMatchObject({
      outcome: 'reply',
      reason: 'outside-organisation: in-reply-to',
      ticketRef: 'CS-2',
    });
    expect(await ingest(mail({ from: 'dora@partner.example', subject: 'Re: [CS-2] Vendor outage', messageId: 'dora-2@partner.example', body: 'New question.' }))).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-approved' });
    expect((await messages('CS-2')).map((message) => [message.fromAddress, message.visibility, message.fromOutsideOrganisation]).filter(([from]) => String(from).endsWith('partner.example'))).toEqual([
      ['carl@partner.example', 'public', false],
      ['dora@partner.example', 'internal', true],
    ]);
  });

  it('moves pending, resolved, reopened, auto-closed, and opens a linked ticket for a reply to a closed one', async () => {
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-2@cloudsoft.test', body: 'Can you retry?\n#pending' }));
    expect((await ticket('CS-1'))?.status).toBe('pending');
    await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-4@mail.acme.test', body: 'Still failing.' }));
    expect((await ticket('CS-1'))?.status).toBe('open');
    await ingest(mail({ from: 'erin@cloudsoft.test', subject: 'Re: [CS-1] Staging', messageId: 'erin-3@cloudsoft.test', body: 'Done now.\n#resolve' }));
    expect((await ticket('CS-1'))?.status).toBe('resolved');

    const job = createAutoCloseJob({ db, lifecycle: createLifecycle({ db, config }), cron: '0 * * * *', autoCloseDays: 7, clock });
    now = new Date(now.getTime() + 6 * 86_400_000);
    expect(await job.runOnce()).toEqual([]);
    now = new Date(now.getTime() + 86_400_000);
    expect(await job.runOnce()).toEqual(['CS-1']);
    expect((await ticket('CS-1'))?.status).toBe('closed');

    const result = await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'alice-5@mail.acme.test', inReplyTo: '<alice-4@mail.acme.test>', body: 'It is back.' }));
    expect(result).toMatchObject({ outcome: 'ticket', reason: 'reply-to-closed-ticket', ticketRef: 'CS-2' });
    expect((await ticket('CS-2'))?.linkedTicketId).toBe((await ticket('CS-1'))?.id);
  });

  it('stores the new text of an HTML-only reply, without the Gmail quote, and reads no severity from the quote', async () => {
    const html = [
      '<div dir="ltr">Still failing after the <b>restart</b>.</div><br>',
      '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Nov 25, 2026 at 9:05 AM Cloudsoft Support &lt;help@cloudsoft.test&gt; wrote:<br></div>',
      '<blockquote class="gmail_quote">SEV1 production unusable</blockquote></div>',
    ].join('');
    const raw = Buffer.from(
      ['From: alice@acme.test', 'To: help@cloudsoft.test', 'Subject: Re: [CS-1] Staging', 'Message-ID: <html-1@mail.gmail.com>', 'In-Reply-To: <alice-1@mail.acme.test>', 'Content-Type: text/html; charset=UTF-8', '', html, ''].join('\r\n'),
    );
    expect(await ingest(raw)).toMatchObject({ outcome: 'reply', ticketRef: 'CS-1' });
    expect((await messages('CS-1')).find((message) => message.messageId === 'html-1@mail.gmail.com')?.bodyText).toBe('Still failing after the restart.');
    expect((await ticket('CS-1'))?.severity).toBe('SEV3');
  });

  it('threads Outlook comma References, reference loops and a reply without a Message-ID', async () => {
    const r1 = await ingest(mail({ from: 'alice@acme.test', subject: 'RE: Staging', messageId: 'outlook-1@acme.test', references: '<unknown@x.test>,<alice-1@mail.acme.test>,<unknown@x.test>', body: 'Outlook reply' }));
    expect(r1).toMatchObject({ outcome: 'reply', ticketRef: 'CS-1' });
    const r2 = await ingest(mail({ from: 'alice@acme.test', subject: 'no ref', messageId: 'loop@acme.test', inReplyTo: '<loop@acme.test>', references: '<loop@acme.test> <outlook-1@acme.test> <loop@acme.test>', body: 'Loop' }));
    expect(r2).toMatchObject({ outcome: 'reply', ticketRef: 'CS-1' });
    const r3 = await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', body: 'No Message-ID here' }));
    expect(r3).toMatchObject({ outcome: 'reply', ticketRef: 'CS-1' });
    const r4 = await ingest(mail({ from: 'alice@acme.test', subject: 'Re: [CS-1] Staging', messageId: 'outlook-1@acme.test', body: 'Outlook reply' }));
    expect(r4).toMatchObject({ outcome: 'duplicate', ticketRef: 'CS-1' });
    expect((await messages('CS-1')).filter((message) => message.direction === 'inbound')).toHaveLength(4);
  });
});
