import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { ReceivedMail } from '../src/devservers/smtp-peer.server.js';
import { runTicketd, startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';
import { startTestStack } from './support/test-stack.js';

type Attachment = { filename: string; contentType: string; size: number; sha256: string; text?: string };
type Message = { direction: string; from: string; subject: string; messageId: string | null; bodyText: string; visibility: string; fromOutsideOrganisation: boolean; attachments: Attachment[] };
type Ticket = { ref: string; status: string; requester: string; participants: string[]; messages: Message[] };

const waitLong = { timeout: 60_000, interval: 200 };
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** A raw mail: header lines, a blank line, the body; CRLF as on the wire. */
function rawMail(headers: string[], body: string[]): string {
  return [...headers, '', ...body, ''].join('\r\n');
}

/**
 * Issue 15 on the real daemon against Dovecot: conversations across organisations and lists stay one ticket,
 * and every part of real-world MIME (forwarded mail, a Notes inline image, PGP/MIME) is kept by name.
 */
describe('real conversations on real mail, through Dovecot, the daemon and the SMTP peer', { timeout: 180_000 }, () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;

  const ticket = (ref: string) => ticketdJson<Ticket>(['tickets', 'show', ref, '--config', configFile, '--json']);
  const tickets = () => ticketdJson<Array<{ ref: string; subject: string }>>(['tickets', 'list', '--config', configFile, '--json']);
  const refOf = async (subject: string) => (await tickets()).find((row) => row.subject === subject)?.ref;
  const mailsTo = (address: string) => stack.smtp.received.filter((mail) => mail.envelopeTo.includes(address));
  const notification = (ref: string) => stack.smtp.received.find((mail) => mail.envelopeTo.includes('oncall@cloudsoft.test') && mail.parsed.subject.includes(`[${ref}]`));

  beforeAll(async () => {
    stack = await startTestStack();
    configFile = await stack.writeConfig('ticketd.yaml', { support: { engineerNotify: ['oncall@cloudsoft.test'] } });
    daemon = startDaemonProcess(configFile);
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it("keeps a two-organisation Cc conversation on one ticket: the Cc'd contractor is a participant, an outsider stays internal until let in", async () => {
    const subject = 'Replication lag on the EU cluster';
    await stack.deliver(
      rawMail(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', 'Cc: Carl Contractor <carl@partner.example>', `Subject: ${subject}`, 'Message-ID: <alice-lag-1@mail.acme.test>', 'Date: Wed, 25 Nov 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8'],
        ['Replication lags 20 minutes since the upgrade. Carl runs our database for us.', '', '-- ', 'Alice Martin, ACME Ops', '+49 30 1234567'],
      ),
    );
    await vi.waitFor(async () => expect(await refOf(subject)).toBeDefined(), waitLong);
    const ref = (await refOf(subject)) as string;
    await vi.waitFor(() => expect(notification(ref)).toBeDefined(), waitLong);
    expect((await ticket(ref)).participants).toEqual(['carl@partner.example']);
    expect((await ticket(ref)).messages[0]?.bodyText).toContain('Alice Martin, ACME Ops\n+49 30 1234567');

    // The engineer answers through the notification's Reply-To: Alice gets it, Carl in Cc.
    const notice = notification(ref) as ReceivedMail;
    await stack.deliver(
      rawMail(
        ['From: Erin Engineer <erin@cloudsoft.test>', `To: ${notice.parsed.headers['reply-to']}`, `Subject: Re: ${notice.parsed.subject}`, 'Message-ID: <erin-lag-1@cloudsoft.test>', `In-Reply-To: <${notice.parsed.messageId}>`, 'Content-Type: text/plain'],
        ['Please send the output of SHOW REPLICA STATUS.'],
      ),
    );
    await vi.waitFor(() => expect(stack.smtp.received.find((mail) => mail.parsed.text.includes('SHOW REPLICA STATUS'))).toBeDefined(), waitLong);
    const relay = stack.smtp.received.find((mail) => mail.parsed.text.includes('SHOW REPLICA STATUS')) as ReceivedMail;
    expect(relay.envelopeTo.sort()).toEqual(['alice@acme.test', 'carl@partner.example']);
    expect(relay.raw.toString()).toMatch(/^Cc: .*carl@partner\.example/m);

    // Carl replies to all: the answer lands on the ticket as a public reply, and nobody gets a confirmation.
    const before = stack.smtp.received.length;
    await stack.deliver(
      rawMail(
        ['From: Carl Contractor <carl@partner.example>', 'To: Cloudsoft Support <help@cloudsoft.test>', 'Cc: alice@acme.test', `Subject: Re: [${ref}] ${subject}`, 'Message-ID: <carl-lag-1@partner.example>', `In-Reply-To: <${relay.parsed.messageId}>`, `References: <alice-lag-1@mail.acme.test> <${relay.parsed.messageId}>`, 'Content-Type: text/plain'],
        ['Seconds_Behind_Source: 1200. The disk of the replica is full.', '', 'Carl', '', `On Wed, Nov 25, 2026 at 10:00 AM Cloudsoft Support <help@cloudsoft.test> wrote:`, '> Please send the output of SHOW REPLICA STATUS.'],
      ),
    );
    // Dora, Carl's colleague nobody put in Cc, answers Carl: kept on the ticket for engineers only.
    await stack.deliver(
      rawMail(
        ['From: Dora DBA <dora@partner.example>', 'To: carl@partner.example', 'Cc: help@cloudsoft.test', `Subject: Re: [${ref}] ${subject}`, 'Message-ID: <dora-lag-1@partner.example>', 'In-Reply-To: <carl-lag-1@partner.example>', `References: <alice-lag-1@mail.acme.test> <${relay.parsed.messageId}> <carl-lag-1@partner.example>`, 'Content-Type: text/plain'],
        ['I freed 200 GB on the replica, it is catching up.', '#participant remove carl@partner.example'],
      ),
    );
    await vi.waitFor(async () => expect((await ticket(ref)).messages.some((message) => message.from === 'dora@partner.example')).toBe(true), waitLong);
    const detail = await ticket(ref);
    expect(await tickets()).toHaveLength(1);
    expect(detail.messages.find((message) => message.from === 'carl@partner.example')).toMatchObject({ visibility: 'public', fromOutsideOrganisation: false, bodyText: 'Seconds_Behind_Source: 1200. The disk of the replica is full.\n\nCarl' });
    expect(detail.messages.find((message) => message.from === 'dora@partner.example')).toMatchObject({ visibility: 'internal', fromOutsideOrganisation: true, direction: 'inbound' });
    // Dora's command and her mail changed nothing the customer sees: no participant removed, no mail to them.
    expect(detail.participants).toEqual(['carl@partner.example']);
    expect(detail.status).toBe('open');
    // The only mail sent since Carl wrote: Erin, who answered the ticket, hears of his public reply; no
    // confirmation to anyone, and nothing of Dora's internal message reaches the customer side.
    await vi.waitFor(() => expect(stack.smtp.received.length).toBe(before + 1), waitLong);
    const since = stack.smtp.received.slice(before);
    expect(since.map((mail) => mail.envelopeTo)).toEqual([['erin@cloudsoft.test']]);
    expect(since[0]?.parsed.text).toContain('Seconds_Behind_Source: 1200');
    expect(since[0]?.parsed.text).not.toContain('I freed 200 GB');

    // An operator lets Dora in; the next reply reaches her in Cc.
    const added = await runTicketd(['participants', 'add', ref, 'dora@partner.example', '--config', configFile]);
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
    expect(added.stdout).toContain('dora@partner.example added as a participant');
    await stack.deliver(rawMail(['From: erin@cloudsoft.test', 'To: help@cloudsoft.test', `Subject: Re: [${ref}] ${subject}`, 'Message-ID: <erin-lag-2@cloudsoft.test>', 'Content-Type: text/plain'], ['Thanks Dora, lag is back to zero.']));
    await vi.waitFor(() => expect(mailsTo('dora@partner.example')).toHaveLength(1), waitLong);
    expect(mailsTo('dora@partner.example')[0]?.envelopeTo.sort()).toEqual(['alice@acme.test', 'carl@partner.example', 'dora@partner.example']);
  });

  it('keeps a 7-message list thread of 5 authors on one ticket, whoever answers whom', async () => {
    const subject = 'Nightly export fails with ENOSPC';
    const list = ['List-Id: ACME developers <dev.lists.acme.test>', 'List-Post: <mailto:dev@lists.acme.test>', 'Precedence: list'];
    // [author, message id, the message it answers]
    const thread: Array<[string, string, string | undefined]> = [
      ['Alice Martin <alice@acme.test>', 'l1@acme.test', undefined],
      ['Bob Stone <bob@acme.test>', 'l2@acme.test', 'l1@acme.test'],
      ['Olga <olga@oss.example>', 'l3@oss.example', 'l1@acme.test'],
      ['Alice Martin <alice@acme.test>', 'l4@acme.test', 'l3@oss.example'],
      ['Pete <pete@oss.example>', 'l5@oss.example', 'l2@acme.test'],
      ['Gina Globex <gina@globex.test>', 'l6@globex.test', 'l5@oss.example'],
      ['Olga <olga@oss.example>', 'l7@oss.example', 'l6@globex.test'],
    ];
    const ancestors = (id: string | undefined): string[] => {
      const parent = thread.find(([, messageId]) => messageId === id);
      return parent ? [...ancestors(parent[2]), parent[1]] : [];
    };
    await stack.deliverMany(
      thread.map(([from, messageId, parent], index) =>
        rawMail(
          [
            `From: ${from}`,
            'To: ACME developers <dev@lists.acme.test>',
            'Cc: help@cloudsoft.test',
            `Subject: ${index === 0 ? subject : `Re: ${subject}`}`,
            `Message-ID: <${messageId}>`,
            ...(parent ? [`In-Reply-To: <${parent}>`, `References: ${ancestors(parent).map((id) => `<${id}>`).join(' ')}`] : []),
            `Date: Wed, 25 Nov 2026 1${index}:00:00 +0000`,
            ...list,
            'Content-Type: text/plain; charset=utf-8',
          ],
          [`Message ${index + 1} of the export discussion.`],
        ),
      ),
    );
    await vi.waitFor(async () => expect((await ticket((await refOf(subject)) ?? 'none')).messages.filter((message) => message.direction === 'inbound')).toHaveLength(7), waitLong);
    const detail = await ticket((await refOf(subject)) as string);
    expect((await tickets()).filter((row) => row.subject.includes(subject))).toHaveLength(1);
    const inbound = detail.messages.filter((message) => message.direction === 'inbound');
    expect(inbound.map((message) => [message.from, message.visibility])).toEqual([
      ['alice@acme.test', 'public'],
      ['bob@acme.test', 'public'],
      ['olga@oss.example', 'internal'],
      ['alice@acme.test', 'public'],
      ['pete@oss.example', 'internal'],
      ['gina@globex.test', 'internal'],
      ['olga@oss.example', 'internal'],
    ]);
    expect(new Set(inbound.map((message) => message.from)).size).toBe(5);
    // Alice's colleague who wrote becomes a participant; the list itself does not, and list mail gets no automatic reply.
    expect(detail.participants).toEqual(['bob@acme.test']);
    const quarantine = await ticketdJson<Array<{ subject: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
    expect(quarantine.filter((row) => row.subject.includes(subject))).toEqual([]);
    expect(mailsTo('olga@oss.example')).toEqual([]);
  });

  it('keeps a forwarded-as-attachment mail as "<its subject>.eml" and finds its text with tickets search', async () => {
    const subject = 'Fwd: vendor incident report';
    await stack.deliver(
      rawMail(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: ${subject}`, 'Message-ID: <alice-fwd@mail.acme.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="fwd"'],
        [
          '--fwd',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Our storage vendor sent the mail below; does it explain the outage?',
          '--fwd',
          'Content-Type: message/rfc822',
          'Content-Disposition: attachment',
          '',
          'From: Vendor Ops <ops@storage-vendor.example>',
          'To: alice@acme.test',
          'Subject: =?utf-8?Q?Incident_4711:_array_d=C3=A9grad=C3=A9?=',
          'Message-ID: <incident-4711@storage-vendor.example>',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Controller B of array FRA-7 lost quorum at 03:12 UTC (ref QUORUM-LOSS-4711).',
          '--fwd--',
        ],
      ),
    );
    await vi.waitFor(async () => expect(await refOf(subject)).toBeDefined(), waitLong);
    const ref = (await refOf(subject)) as string;
    const first = (await ticket(ref)).messages[0] as Message;
    expect(first.bodyText).toBe('Our storage vendor sent the mail below; does it explain the outage?');
    expect(first.attachments).toHaveLength(1);
    expect(first.attachments[0]).toMatchObject({ filename: 'Incident 4711: array dégradé.eml', contentType: 'message/rfc822' });
    expect(first.attachments[0]?.text).toContain('QUORUM-LOSS-4711');
    const found = await ticketdJson<Array<{ ref: string; foundIn: string; snippet: string }>>(['tickets', 'search', 'quorum-loss-4711', '--config', configFile, '--json']);
    expect(found).toEqual([expect.objectContaining({ ref, foundIn: 'Incident 4711: array dégradé.eml' })]);
    expect(found[0]?.snippet).toContain('QUORUM-LOSS-4711');
  });

  it('keeps the inline GIF of a Lotus Notes mail as image.gif with its bytes, and the HTML body as text', async () => {
    const subject = 'Screenshot of the error dialog';
    await stack.deliver(
      rawMail(
        [
          'From: Alice Martin <alice@acme.test>',
          'To: help@cloudsoft.test',
          `Subject: ${subject}`,
          'Message-ID: <OF1A2B3C4D.5E6F7A8B-ON00000000.00000000-00000000.00000000@acme.test>',
          'X-Mailer: Lotus Notes Release 9.0.1FP10 SHF383 December 21, 2018',
          'X-MIMETrack: Serialize by Router on NOTES01/ACME at 25.11.2026 09:00:00',
          'MIME-Version: 1.0',
          'Content-Type: multipart/related; boundary="=_related 002A3B4CC1258A7F_="',
        ],
        [
          '--=_related 002A3B4CC1258A7F_=',
          'Content-Type: multipart/alternative; boundary="=_alternative 002A3B4CC1258A7F_="',
          '',
          '--=_alternative 002A3B4CC1258A7F_=',
          'Content-Type: text/plain; charset="US-ASCII"',
          '',
          'The dialog says: license server unreachable.',
          '--=_alternative 002A3B4CC1258A7F_=',
          'Content-Type: text/html; charset="US-ASCII"',
          '',
          '<font size=2 face="sans-serif">The dialog says: license server unreachable.</font><br><img src=cid:_1_0A1B2C3D0A1B2C3D002A3B4C>',
          '--=_alternative 002A3B4CC1258A7F_=--',
          '--=_related 002A3B4CC1258A7F_=',
          'Content-Type: image/gif',
          'Content-ID: <_1_0A1B2C3D0A1B2C3D002A3B4C>',
          'Content-Transfer-Encoding: base64',
          '',
          GIF.toString('base64'),
          '--=_related 002A3B4CC1258A7F_=--',
        ],
      ),
    );
    await vi.waitFor(async () => expect(await refOf(subject)).toBeDefined(), waitLong);
    const first = (await ticket((await refOf(subject)) as string)).messages[0] as Message;
    expect(first.bodyText).toBe('The dialog says: license server unreachable.');
    expect(first.attachments).toEqual([{ filename: 'image.gif', contentType: 'image/gif', size: GIF.length, sha256: createHash('sha256').update(GIF).digest('hex') }]);
  });

  it('keeps both parts of a PGP/MIME mail as they came and notes on the ticket that the body is encrypted', async () => {
    const subject = 'Credentials for the staging database';
    const encrypted = ['-----BEGIN PGP MESSAGE-----', '', 'hQEMA5m6sK1/secret/payload/only/the/key/opens', '=Xy7a', '-----END PGP MESSAGE-----'];
    await stack.deliver(
      rawMail(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: ${subject}`, 'Message-ID: <alice-pgp@mail.acme.test>', 'User-Agent: Mozilla Thunderbird', 'MIME-Version: 1.0', 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="------------enig2A3B4C5D"'],
        [
          'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
          '--------------enig2A3B4C5D',
          'Content-Type: application/pgp-encrypted',
          'Content-Description: PGP/MIME version identification',
          '',
          'Version: 1',
          '',
          '--------------enig2A3B4C5D',
          'Content-Type: application/octet-stream; name="encrypted.asc"',
          'Content-Description: OpenPGP encrypted message',
          'Content-Disposition: inline; filename="encrypted.asc"',
          '',
          ...encrypted,
          '',
          '--------------enig2A3B4C5D--',
        ],
      ),
    );
    await vi.waitFor(async () => expect(await refOf(subject)).toBeDefined(), waitLong);
    const detail = await ticket((await refOf(subject)) as string);
    const first = detail.messages[0] as Message;
    expect(first.attachments.map((file) => [file.filename, file.contentType])).toEqual([
      ['pgp-mime-version.txt', 'application/pgp-encrypted'],
      ['encrypted.asc', 'application/octet-stream'],
    ]);
    const note = detail.messages.find((message) => message.subject === '(note)' && message.bodyText.includes('encrypted'));
    expect(note).toMatchObject({ visibility: 'internal' });
    expect(note?.bodyText).toContain('encrypted (PGP/MIME)');
    expect(note?.bodyText).toContain('encrypted.asc');
  });
});
