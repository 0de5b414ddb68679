import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { PagerEvent } from '../src/modules/pager/pager.types.js';
import { startTestStack } from './support/test-stack.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

type Ticket = { ref: string; status: string; linkedTicket: string | null };
const waitLong = { timeout: 30_000, interval: 200 };

describe('the daemon closes resolved tickets by itself after tickets.autoCloseDays', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;
  const ticket = (ref: string) => ticketdJson<Ticket>(['tickets', 'show', ref, '--config', configFile, '--json']);

  beforeAll(async () => {
    stack = await startTestStack();
    configFile = await stack.writeConfig('ticketd.yaml', {
      support: { engineerNotify: ['oncall@cloudsoft.test'] },
      // Resolved tickets close after about 9 seconds (0.0001 days), the job looks every second.
      tickets: { autoCloseDays: 0.0001, autoCloseCron: '* * * * * *' },
    });
    daemon = startDaemonProcess(configFile);
  });
  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('resolves on an engineer #resolve, closes on schedule with one PagerDuty resolve, and a later reply opens a linked ticket', async () => {
    await stack.deliver(await readFile(new URL('../fixtures/mail/01-sev1-outage.eml', import.meta.url)));
    const mails = await stack.smtp.waitFor(2, 30_000);
    const notice = mails.find((mail) => mail.envelopeTo.includes('oncall@cloudsoft.test'));
    const confirmation = mails.find((mail) => mail.envelopeTo.includes('alice@acme.test'));
    await stack.deliver(
      [
        'From: Erin Engineer <erin@cloudsoft.test>',
        `To: ${notice?.parsed.headers['reply-to']}`,
        `Subject: Re: ${notice?.parsed.subject}`,
        'Message-ID: <erin-resolve@cloudsoft.test>',
        `In-Reply-To: <${notice?.parsed.messageId}>`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Fixed by rolling back the deploy.',
        '#resolve',
        '',
      ].join('\r\n'),
    );
    await vi.waitFor(async () => expect((await ticket('CS-1')).status).toBe('resolved'), waitLong);
    await vi.waitFor(async () => expect((await ticket('CS-1')).status).toBe('closed'), waitLong);

    const pages = () => stack.receiver.requests.map((request) => request.body as PagerEvent).map((event) => `${event.event_action} ${event.dedup_key}`);
    await vi.waitFor(() => expect(pages()).toContain('resolve CS-1'), waitLong);
    expect(pages()).toEqual(['trigger CS-1', 'acknowledge CS-1', 'resolve CS-1']);

    await stack.deliver(
      [
        'From: Alice Martin <alice@acme.test>',
        'To: help@cloudsoft.test',
        `Subject: ${confirmation?.parsed.subject}`,
        'Message-ID: <alice-after-close@mail.acme.test>',
        `In-Reply-To: <${confirmation?.parsed.messageId}>`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'It is back since this morning.',
        '',
      ].join('\r\n'),
    );
    await vi.waitFor(async () => expect(await ticket('CS-2')).toMatchObject({ status: 'new', linkedTicket: 'CS-1' }), waitLong);
    expect((await ticket('CS-1')).status).toBe('closed');
  });
});
