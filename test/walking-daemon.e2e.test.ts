import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';
import { startTestStack } from './support/test-stack.js';

type TicketJson = { ref: string; subject: string; severity: string; priority: string; status: string; requester: string; createdAt: string; messageCount: number };
type TicketDetail = TicketJson & { messages: Array<{ direction: string; from: string; to: string[]; subject: string; messageId: string | null; inReplyTo: string | null; bodyText: string; attachments: Array<{ filename: string; size: number; sha256: string }> }> };
type PageBody = { routing_key: string; event_action: string; dedup_key: string; payload: { summary: string; severity: string; source: string; custom_details: Record<string, unknown> } };

const fixture = (name: string) => readFile(new URL(`../fixtures/mail/${name}`, import.meta.url));
const waitLong = { timeout: 30_000, interval: 200 };

describe('the walking daemon on real Dovecot, SMTP peer and paging receiver', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;

  const tickets = () => ticketdJson<TicketJson[]>(['tickets', 'list', '--config', configFile, '--json']);
  const ticket = (ref: string) => ticketdJson<TicketDetail>(['tickets', 'show', ref, '--config', configFile, '--json']);
  const quarantine = () => ticketdJson<Array<{ id: number; from: string; reason: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
  const pages = () => stack.receiver.requests.map((request) => request.body as PageBody);

  beforeAll(async () => {
    stack = await startTestStack();
    configFile = await stack.writeConfig('ticketd.yaml');
    daemon = startDaemonProcess(configFile);
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it("turns a customer's SEV1 mail into one Urgent ticket, one threaded confirmation and one critical page", async () => {
    await stack.deliver(await fixture('01-sev1-outage.eml'));

    const [confirmation] = await stack.smtp.waitFor(1, 30_000);
    const [page] = await stack.receiver.waitFor(1, 30_000);
    const list = await tickets();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ ref: 'CS-1', severity: 'SEV1', priority: 'Urgent', status: 'new', requester: 'alice@acme.test' });

    expect(confirmation?.envelopeTo).toEqual(['alice@acme.test']);
    expect(confirmation?.parsed.subject).toContain('[CS-1]');
    expect(confirmation?.parsed.inReplyTo).toBe('a1b2c3d4.outage@mail.acme.test');
    expect(confirmation?.parsed.references).toContain('a1b2c3d4.outage@mail.acme.test');
    expect(confirmation?.parsed.headers['auto-submitted']).toBe('auto-replied');
    expect(confirmation?.parsed.text).toContain('CS-1');
    expect(confirmation?.parsed.text).toContain('SEV1');

    expect(page?.body).toMatchObject({ routing_key: 'local-routing-key', event_action: 'trigger', dedup_key: 'CS-1', payload: { severity: 'critical' } });
    expect((page?.body as PageBody).payload.summary).toContain('CS-1');
    expect((page?.body as PageBody).payload.summary).toContain('alice@acme.test');

    const detail = await ticket('CS-1');
    expect(detail.messages.map((message) => message.direction)).toEqual(['inbound', 'outbound']);
    expect(detail.messages[1]?.messageId).toBe(confirmation?.parsed.messageId);
  });

  it('threads a reply to the confirmation into the same ticket and pages nobody', async () => {
    const confirmation = stack.smtp.received[0];
    const reply = [
      'From: Alice Martin <alice@acme.test>',
      'To: help@cloudsoft.test',
      `Subject: ${confirmation?.parsed.subject}`,
      'Message-ID: <reply-1.alice@mail.acme.test>',
      `In-Reply-To: <${confirmation?.parsed.messageId}>`,
      `References: <a1b2c3d4.outage@mail.acme.test> <${confirmation?.parsed.messageId}>`,
      'Date: Wed, 25 Nov 2026 09:30:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The errors started right after your 09:00 deploy.',
      '',
    ].join('\r\n');
    await stack.deliver(reply);

    await vi.waitFor(async () => expect((await ticket('CS-1')).messageCount).toBe(3), waitLong);
    const detail = await ticket('CS-1');
    expect(detail.messages[2]).toMatchObject({ direction: 'inbound', messageId: 'reply-1.alice@mail.acme.test' });
    expect(detail.messages[2]?.bodyText).toContain('09:00 deploy');
    expect(await tickets()).toHaveLength(1);
    const queued = await ticketdJson<Array<{ kind: string }>>(['outbox', 'list', '--config', configFile, '--json']);
    expect(queued.filter((item) => item.kind === 'page')).toHaveLength(1);
    expect(queued.filter((item) => item.kind === 'email')).toHaveLength(1);
  });

  it('reads the severity in its common spellings and maps it to priority and page severity', async () => {
    await stack.deliver(await fixture('02-sev2-degraded.eml'));
    await stack.deliver(await fixture('03-question-no-severity.eml'));
    await stack.deliver(await fixture('04-sev4-how-to.eml'));

    await stack.receiver.waitFor(4, 30_000);
    await stack.smtp.waitFor(4, 30_000);
    const bySubject = Object.fromEntries((await tickets()).map((t) => [t.subject, t]));
    expect(bySubject['Checkout latency ten times higher than usual']).toMatchObject({ severity: 'SEV2', priority: 'High' });
    expect(bySubject['Staging cluster cannot pull images']).toMatchObject({ severity: 'SEV3', priority: 'Normal' });
    expect(bySubject['Severity 4 - how do we rotate API keys?']).toMatchObject({ severity: 'SEV4', priority: 'Low' });
    expect(pages().map((page) => `${page.dedup_key}:${page.payload.severity}`).sort()).toEqual(['CS-1:critical', 'CS-2:error', 'CS-3:warning', 'CS-4:info']);

    const withLog = await ticket(bySubject['Staging cluster cannot pull images']?.ref ?? '');
    // The decoded bytes of the base64 part: `Error: failed to pull image ...` plus a newline.
    expect(withLog.messages[0]?.attachments).toEqual([
      { filename: 'pull-error.log', contentType: 'text/plain', size: 79, sha256: '697637108f1a77760db74538eb366f0a91e13ff08ce05f2a0fd70ccd162a1c9d' },
    ]);
  });

  it('quarantines an unknown sender with sender-not-approved: no ticket, no page, one polite refusal', async () => {
    const before = { mails: stack.smtp.received.length, pages: stack.receiver.requests.length, tickets: (await tickets()).length };
    await stack.deliver(await fixture('05-unknown-sender.eml'));

    await vi.waitFor(async () => expect((await quarantine()).map((item) => item.from)).toContain('mallory@unknown-corp.test'), waitLong);
    expect((await quarantine())[0]).toMatchObject({ from: 'mallory@unknown-corp.test', reason: 'sender-not-approved' });
    expect((await tickets()).length).toBe(before.tickets);
    // Issue 5: the sender is told how to register and where to get help; nothing is paged.
    const queued = await ticketdJson<Array<{ kind: string; target: string }>>(['outbox', 'list', '--config', configFile, '--json']);
    expect(queued).toHaveLength(before.mails + before.pages + 1);
    expect(queued.at(-1)).toMatchObject({ kind: 'email', target: 'mallory@unknown-corp.test' });
    const [refusal] = (await stack.smtp.waitFor(before.mails + 1, 30_000)).slice(before.mails);
    expect(refusal?.parsed.text).toContain('not in one of the approved customer domains');
    expect(refusal?.parsed.headers['auto-submitted']).toBe('auto-replied');
  });

  it('stops cleanly on SIGTERM and, restarted, processes nothing twice', async () => {
    expect(await daemon.stop('SIGTERM')).toBe(0);
    const before = { tickets: await tickets(), mails: stack.smtp.received.length, pages: stack.receiver.requests.length };

    daemon = startDaemonProcess(configFile);
    // A new mail proves the restarted daemon has synced past everything that was there before.
    await stack.deliver((await fixture('01-sev1-outage.eml')).toString().replace('a1b2c3d4.outage@', 'after-restart@').replace('[SEV1] Production API', '[SEV2] Reporting API'));
    await vi.waitFor(async () => expect(await tickets()).toHaveLength(before.tickets.length + 1), waitLong);
    await stack.receiver.waitFor(before.pages + 1, 30_000);
    await stack.smtp.waitFor(before.mails + 1, 30_000);

    const after = await tickets();
    expect(after.slice(0, before.tickets.length)).toEqual(before.tickets);
    expect(after.at(-1)).toMatchObject({ severity: 'SEV2', priority: 'High' });
    expect(stack.smtp.received).toHaveLength(before.mails + 1);
    expect(stack.receiver.requests).toHaveLength(before.pages + 1);
    expect(new Set(stack.receiver.requests.map((request) => (request.body as PageBody).dedup_key)).size).toBe(stack.receiver.requests.length);
  });
});
