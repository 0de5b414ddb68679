import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { ReceivedMail } from '../src/devservers/smtp-peer.server.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';
import { startTestStack } from './support/test-stack.js';

type Message = { direction: string; from: string; to: string[]; subject: string; messageId: string | null; inReplyTo: string | null; bodyText: string; visibility: string; attachments: Array<{ filename: string; size: number }> };
type Ticket = { ref: string; subject: string; severity: string; priority: string; status: string; requester: string; messageCount: number; assignee: string | null; firstRespondedAt: string | null; linkedTicket: string | null; messages: Message[] };
type PageBody = { event_action: string; dedup_key: string; payload: { severity: string } };

const waitLong = { timeout: 30_000, interval: 200 };
const SUBJECT = 'Staging cluster cannot pull images';

/** A raw mail as the named client writes it: the header shapes differ, the content is what the test says. */
function rawMail(headers: Array<string | false | undefined>, body: string): string {
  return [...headers.filter((line): line is string => typeof line === 'string'), '', body, ''].join('\r\n');
}

describe('conversations on the real daemon: threading, engineers by email, lifecycle', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;

  const ticket = (ref: string) => ticketdJson<Ticket>(['tickets', 'show', ref, '--config', configFile, '--json']);
  const tickets = () => ticketdJson<Array<{ ref: string; status: string }>>(['tickets', 'list', '--config', configFile, '--json']);
  const pages = () => stack.receiver.requests.map((request) => request.body as PageBody);
  const mailsTo = (address: string) => stack.smtp.received.filter((mail) => mail.envelopeTo.includes(address));
  const notification = (ref: string) => stack.smtp.received.find((mail) => mail.envelopeTo.includes('oncall@cloudsoft.test') && mail.parsed.subject.includes(`[${ref}]`));

  beforeAll(async () => {
    stack = await startTestStack();
    configFile = await stack.writeConfig('ticketd.yaml', {
      support: { engineerNotify: ['oncall@cloudsoft.test'] },
      security: { replyTokenSecret: 'e2e-reply-token-secret' },
    });
    daemon = startDaemonProcess(configFile);
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('opens a ticket from a Gmail mail, confirms it to the customer and notifies the engineers with a signed Reply-To', async () => {
    await stack.deliver(
      rawMail(
        [
          'MIME-Version: 1.0',
          'Date: Wed, 25 Nov 2026 09:00:00 +0000',
          'Message-ID: <CAGm1_kq9+first=Xx@mail.gmail.com>',
          `Subject: ${SUBJECT}`,
          'From: Alice Martin <alice@acme.test>',
          'To: help@cloudsoft.test',
          'Cc: Bob Stone <bob@acme.test>',
          'Content-Type: text/plain; charset="UTF-8"',
        ],
        'Our staging cluster fails to pull images since 08:00.\r\nProduction is fine.',
      ),
    );
    await stack.smtp.waitFor(2, 30_000);
    const [confirmation] = mailsTo('alice@acme.test');
    expect(confirmation?.parsed.subject).toBe(`Re: [CS-1] ${SUBJECT}`);
    expect(confirmation?.parsed.inReplyTo).toBe('CAGm1_kq9+first=Xx@mail.gmail.com');

    const notice = notification('CS-1');
    expect(notice?.parsed.headers['reply-to']).toMatch(/^help\+cs-1\.[0-9a-f]{20}@cloudsoft\.test$/);
    expect(notice?.parsed.text).toContain('fails to pull images since 08:00');
    expect(notice?.parsed.text).toContain('SEV3');
    expect(notice?.parsed.text).toContain('Alice Martin <alice@acme.test>');
    expect(notice?.parsed.text).toContain('Organisation: acme.test');
    expect(await ticket('CS-1')).toMatchObject({ status: 'new', severity: 'SEV3' });
  });

  it('keeps five customer replies from Gmail, Outlook and Apple Mail on the one ticket, and a quoted SEV1 does not escalate', async () => {
    const confirmation = mailsTo('alice@acme.test')[0] as ReceivedMail;
    const confirmationId = confirmation.parsed.messageId ?? '';
    // 1. Gmail: In-Reply-To the confirmation, References the whole chain, the confirmation quoted (it lists "SEV1").
    await stack.deliver(
      rawMail(
        [
          'MIME-Version: 1.0',
          'Date: Wed, 25 Nov 2026 09:10:00 +0000',
          `References: <CAGm1_kq9+first=Xx@mail.gmail.com> <${confirmationId}>`,
          `In-Reply-To: <${confirmationId}>`,
          'Message-ID: <CAGm1_kq9+second=Yy@mail.gmail.com>',
          `Subject: Re: [CS-1] ${SUBJECT}`,
          'From: Alice Martin <alice@acme.test>',
          'To: Cloudsoft Support <help@cloudsoft.test>',
          'Content-Type: text/plain; charset="UTF-8"',
        ],
        ['The registry is registry.acme.test.', '', 'On Wed, Nov 25, 2026 at 9:05 AM Cloudsoft Support <help@cloudsoft.test> wrote:', '', ...confirmation.parsed.text.split('\n').map((line) => `> ${line}`)].join('\r\n'),
      ),
    );
    // 2. Outlook: comma-joined References, Thread-Index, and the history below a From:/Sent: block, unquoted.
    await stack.deliver(
      rawMail(
        [
          'From: Alice Martin <alice@acme.test>',
          'To: Cloudsoft Support <help@cloudsoft.test>',
          `Subject: RE: [CS-1] ${SUBJECT}`,
          'Thread-Topic: [CS-1] Staging cluster cannot pull images',
          'Thread-Index: AQHbPwHkqZ1cDqB2S0uVdWJkNnFhWQ==',
          'Date: Wed, 25 Nov 2026 09:20:00 +0000',
          'Message-ID: <AM0PR07MB4321ABCD1234@AM0PR07MB4321.eurprd07.prod.outlook.com>',
          `References: <CAGm1_kq9+first=Xx@mail.gmail.com>,<${confirmationId}>,<CAGm1_kq9+second=Yy@mail.gmail.com>`,
          'In-Reply-To: <CAGm1_kq9+second=Yy@mail.gmail.com>',
          'Accept-Language: en-US',
          'Content-Language: en-US',
          'X-MS-Has-Attach:',
          'Content-Type: text/plain; charset="us-ascii"',
          'MIME-Version: 1.0',
        ],
        ['It also fails from the build agents.', '', 'From: Cloudsoft Support <help@cloudsoft.test>', 'Sent: Wednesday, November 25, 2026 9:05 AM', 'To: Alice Martin <alice@acme.test>', `Subject: Re: [CS-1] ${SUBJECT}`, '', 'SEV1  production unusable (priority Urgent)'].join('\r\n'),
      ),
    );
    // 3. Apple Mail: "Message-Id", space-separated References, the attribution itself quoted.
    await stack.deliver(
      rawMail(
        [
          'Content-Type: text/plain; charset=us-ascii',
          'Content-Transfer-Encoding: 7bit',
          'Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))',
          `Subject: Re: [CS-1] ${SUBJECT}`,
          'From: Alice Martin <alice@acme.test>',
          'In-Reply-To: <AM0PR07MB4321ABCD1234@AM0PR07MB4321.eurprd07.prod.outlook.com>',
          'Date: Wed, 25 Nov 2026 09:30:00 +0000',
          'Cc: Bob Stone <bob@acme.test>',
          'To: Cloudsoft Support <help@cloudsoft.test>',
          `References: <CAGm1_kq9+first=Xx@mail.gmail.com> <${confirmationId}> <AM0PR07MB4321ABCD1234@AM0PR07MB4321.eurprd07.prod.outlook.com>`,
          'Message-Id: <6F1A2B3C-1111-2222-3333-444455556666@acme.test>',
        ],
        ['Logs attached next time.', '', '> On 25 Nov 2026, at 09:20, Alice Martin <alice@acme.test> wrote:', '> ', '> SEV1 production unusable'].join('\r\n'),
      ),
    );
    // 4. Gmail again, from the colleague in Cc, answering the Apple mail only (a missing parent in References).
    await stack.deliver(
      rawMail(
        [
          'MIME-Version: 1.0',
          'Date: Wed, 25 Nov 2026 09:40:00 +0000',
          'References: <missing-parent@mail.acme.test> <6F1A2B3C-1111-2222-3333-444455556666@acme.test>',
          'In-Reply-To: <6F1A2B3C-1111-2222-3333-444455556666@acme.test>',
          'Message-ID: <CAHb0b+third@mail.gmail.com>',
          `Subject: Re: [CS-1] ${SUBJECT}`,
          'From: Bob Stone <bob@acme.test>',
          'To: help@cloudsoft.test',
          'Content-Type: text/plain; charset="UTF-8"',
        ],
        'Same for the nightly jobs.',
      ),
    );
    // 5. A client that dropped In-Reply-To and References: only the ref in the (re-prefixed, glued) subject.
    await stack.deliver(
      rawMail(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: AW: [CS-1]Re: ${SUBJECT}`, 'Message-ID: <no-thread-headers.5@acme.test>', 'Date: Wed, 25 Nov 2026 09:50:00 +0000', 'Content-Type: text/plain; charset=utf-8'],
        'Any news?',
      ),
    );

    // Inbound, notification and confirmation, then the five replies.
    await vi.waitFor(async () => expect((await ticket('CS-1')).messageCount).toBe(8), waitLong);
    const detail = await ticket('CS-1');
    expect(await tickets()).toHaveLength(1);
    expect(detail.severity).toBe('SEV3');
    expect(pages()).toHaveLength(1);
    const inbound = detail.messages.filter((message) => message.direction === 'inbound');
    expect(inbound.map((message) => message.bodyText)).toEqual([
      'Our staging cluster fails to pull images since 08:00.\nProduction is fine.',
      'The registry is registry.acme.test.',
      'It also fails from the build agents.',
      'Logs attached next time.',
      'Same for the nightly jobs.',
      'Any news?',
    ]);
  });

  it("relays an engineer's reply to the customer in the customer's thread with its attachment, and moves the ticket to open", async () => {
    const notice = notification('CS-1') as ReceivedMail;
    await stack.deliver(
      rawMail(
        [
          'From: Erin Engineer <erin@cloudsoft.test>',
          `To: ${notice.parsed.headers['reply-to']}`,
          `Subject: Re: ${notice.parsed.subject}`,
          'Message-ID: <erin-1@cloudsoft.test>',
          `In-Reply-To: <${notice.parsed.messageId}>`,
          `References: <${notice.parsed.messageId}>`,
          'Date: Wed, 25 Nov 2026 10:00:00 +0000',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
        ],
        [
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'We rotated the registry credentials; pulls work again.',
          '#assign me',
          '',
          'On Wed, Nov 25, 2026 at 9:00 AM Cloudsoft Support <help@cloudsoft.test> wrote:',
          '> New ticket CS-1',
          '--b1',
          'Content-Type: text/plain; name="fix.txt"',
          'Content-Disposition: attachment; filename="fix.txt"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('kubectl rollout restart deploy/registry\n').toString('base64'),
          '--b1--',
        ].join('\r\n'),
      ),
    );
    await stack.smtp.waitFor(3, 30_000);
    const relay = stack.smtp.received[2] as ReceivedMail;
    expect(relay.envelopeTo.sort()).toEqual(['alice@acme.test', 'bob@acme.test']);
    expect(relay.parsed.from).toContain('help@cloudsoft.test');
    expect(relay.parsed.subject).toBe(`Re: [CS-1] ${SUBJECT}`);
    expect(relay.parsed.inReplyTo).toBe('no-thread-headers.5@acme.test');
    expect(relay.parsed.references).toContain('no-thread-headers.5@acme.test');
    expect(relay.parsed.messageId).toMatch(/^cs-1\.[0-9a-f]{20}\..+@cloudsoft\.test$/);
    expect(relay.parsed.text).toContain('We rotated the registry credentials');
    expect(relay.parsed.text).not.toContain('#assign');
    expect(relay.parsed.text).not.toContain('New ticket CS-1');
    expect(relay.raw.toString()).toMatch(/filename="?fix\.txt/);
    expect(relay.raw.toString()).toContain(Buffer.from('kubectl rollout restart deploy/registry\n').toString('base64'));

    const detail = await ticket('CS-1');
    expect(detail).toMatchObject({ status: 'open', assignee: 'erin@cloudsoft.test' });
    expect(detail.firstRespondedAt).not.toBeNull();
    expect(detail.messages.at(-1)).toMatchObject({ direction: 'outbound', from: 'erin@cloudsoft.test', visibility: 'public', messageId: relay.parsed.messageId, attachments: [{ filename: 'fix.txt', size: 40 }] });
  });

  it('stores a #note and a direct reply with help@ in Cc without sending either, while the next reply with #pending reaches the customer', async () => {
    const relayId = stack.smtp.received[2]?.parsed.messageId ?? '';
    await stack.deliver(rawMail(['From: erin@cloudsoft.test', 'To: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, 'Message-ID: <erin-note@cloudsoft.test>', `In-Reply-To: <${relayId}>`, 'Content-Type: text/plain'], '#note\r\nSECRET-INTERNAL: the customer runs the legacy registry.'));
    // Erin answers Alice from her own mailbox, help@ in Cc: Alice already has it, ticketd only records it.
    await stack.deliver(
      rawMail(
        ['From: Erin Engineer <erin@cloudsoft.test>', 'To: Alice Martin <alice@acme.test>', 'Cc: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, 'Message-ID: <erin-direct@cloudsoft.test>', 'In-Reply-To: <no-thread-headers.5@acme.test>', 'Content-Type: text/plain'],
        'DIRECT-ANSWER: I am calling you in five minutes.',
      ),
    );
    await stack.deliver(rawMail(['From: erin@cloudsoft.test', 'To: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, 'Message-ID: <erin-2@cloudsoft.test>', `In-Reply-To: <${relayId}>`, 'Content-Type: text/plain'], 'Could you confirm the nightly jobs pass?\r\n#pending'));
    await stack.smtp.waitFor(4, 30_000);
    expect(stack.smtp.received[3]?.parsed.text).toContain('Could you confirm the nightly jobs pass?');
    expect(stack.smtp.received.some((mail) => mail.raw.toString().includes('SECRET-INTERNAL'))).toBe(false);
    expect(stack.smtp.received.some((mail) => mail.raw.toString().includes('DIRECT-ANSWER'))).toBe(false);
    expect(stack.smtp.received).toHaveLength(4);
    const detail = await ticket('CS-1');
    expect(detail.status).toBe('pending');
    expect(detail.messages.find((message) => message.bodyText.includes('SECRET-INTERNAL'))).toMatchObject({ visibility: 'internal', from: 'erin@cloudsoft.test' });
    expect(detail.messages.find((message) => message.bodyText.includes('DIRECT-ANSWER'))).toMatchObject({ direction: 'outbound', visibility: 'public', from: 'erin@cloudsoft.test', messageId: 'erin-direct@cloudsoft.test' });
  });

  it('escalates and pages again when the new text of a customer reply says SEV1, and reopens the pending ticket', async () => {
    const pendingMail = stack.smtp.received[3] as ReceivedMail;
    await stack.deliver(
      rawMail(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, 'Message-ID: <CAGm1_kq9+sev1@mail.gmail.com>', `In-Reply-To: <${pendingMail.parsed.messageId}>`, `References: <${pendingMail.parsed.messageId}>`, 'Content-Type: text/plain'],
        'SEV1 now: production cannot pull either.',
      ),
    );
    // The engineer's first reply acknowledged the alert; the raise triggers it again at the new severity.
    const all = await stack.receiver.waitFor(3, 30_000);
    expect(all.map((request) => (request.body as { event_action: string }).event_action)).toEqual(['trigger', 'acknowledge', 'trigger']);
    expect(all[2]?.body).toMatchObject({ event_action: 'trigger', dedup_key: 'CS-1', payload: { severity: 'critical' } });
    expect(await ticket('CS-1')).toMatchObject({ severity: 'SEV1', priority: 'Urgent', status: 'open' });
  });

  it("gives a foreign sender using another customer's ref a new ticket of their own", async () => {
    await stack.deliver(
      rawMail(['From: Gina Globex <gina@globex.test>', 'To: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, 'Message-ID: <gina-1@globex.test>', 'Content-Type: text/plain'], 'We see the same thing, please add us.'),
    );
    await vi.waitFor(async () => expect((await tickets()).map((t) => t.ref)).toContain('CS-2'), waitLong);
    const foreign = await ticket('CS-2');
    expect(foreign.requester).toBe('gina@globex.test');
    expect(foreign.messages.some((message) => message.visibility === 'internal' && message.bodyText.includes('CS-1'))).toBe(true);
    expect((await ticket('CS-1')).messages.some((message) => message.from === 'gina@globex.test')).toBe(false);
    await vi.waitFor(() => expect(mailsTo('gina@globex.test')).toHaveLength(1), waitLong);
    expect(mailsTo('gina@globex.test')[0]?.parsed.subject).toContain('[CS-2]');
  });

  it('resolves, reopens on a customer reply, closes, and opens a linked ticket for a reply to the closed one', async () => {
    const send = (from: string, id: string, body: string) =>
      stack.deliver(rawMail([`From: ${from}`, 'To: help@cloudsoft.test', `Subject: Re: [CS-1] ${SUBJECT}`, `Message-ID: <${id}>`, 'Content-Type: text/plain'], body));
    await send('erin@cloudsoft.test', 'erin-resolve@cloudsoft.test', '#resolve');
    await vi.waitFor(async () => expect((await ticket('CS-1')).status).toBe('resolved'), waitLong);
    await send('alice@acme.test', 'alice-after-resolve@acme.test', 'One more question about the nightly jobs.');
    await vi.waitFor(async () => expect((await ticket('CS-1')).status).toBe('open'), waitLong);
    await send('erin@cloudsoft.test', 'erin-close@cloudsoft.test', '#close');
    await vi.waitFor(async () => expect((await ticket('CS-1')).status).toBe('closed'), waitLong);
    await send('alice@acme.test', 'alice-after-close@acme.test', 'It is broken again.');
    await vi.waitFor(async () => expect((await tickets()).map((t) => t.ref)).toContain('CS-3'), waitLong);
    expect(await ticket('CS-3')).toMatchObject({ requester: 'alice@acme.test', status: 'new', linkedTicket: 'CS-1' });
    expect((await ticket('CS-1')).status).toBe('closed');
    await vi.waitFor(() => expect(notification('CS-3')?.parsed.text).toContain('Continues closed ticket CS-1.'), waitLong);
  });

  it('gives every outbound message our Message-ID, In-Reply-To, References and an Outlook Thread-Index', async () => {
    await vi.waitFor(() => expect(mailsTo('alice@acme.test').length).toBeGreaterThanOrEqual(4), waitLong);
    expect(stack.smtp.received.length).toBeGreaterThanOrEqual(8);
    for (const mail of stack.smtp.received) {
      expect(mail.parsed.messageId).toMatch(/@cloudsoft\.test$/);
      expect(mail.parsed.inReplyTo).toBeTruthy();
      expect(mail.parsed.references.length).toBeGreaterThan(0);
      const index = Buffer.from(mail.parsed.headers['thread-index'] ?? '', 'base64');
      expect(index.length).toBeGreaterThanOrEqual(22);
      expect((index.length - 22) % 5).toBe(0);
    }
    // All of one ticket's mail to the customer shares Outlook's 22-byte conversation header.
    const headers = new Set(mailsTo('alice@acme.test').filter((mail) => mail.parsed.headers['x-ticketd-ticket'] === 'CS-1').map((mail) => Buffer.from(mail.parsed.headers['thread-index'] ?? '', 'base64').subarray(0, 22).toString('hex')));
    expect(mailsTo('alice@acme.test').filter((mail) => mail.parsed.headers['x-ticketd-ticket'] === 'CS-1')).toHaveLength(3);
    expect(headers.size).toBe(1);
  });
});
