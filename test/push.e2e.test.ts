import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/devservers/local-stack.js';
import { customerMail } from './support/mail-factory.js';
import { startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';

describe('push over IMAP IDLE', () => {
  let stack: LocalStack;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    stack = await startLocalStack();
    // The safety-net poll is set to once a year, so only IDLE can bring the news.
    const configFile = await stack.writeConfig('ticketd.yaml', { imap: { pollCron: '0 0 1 1 *' } });
    daemon = startDaemonProcess(configFile);
    await vi.waitFor(() => expect(daemon.logs()).toContain('IMAP connected'), { timeout: 30_000, interval: 100 });
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('turns a mail delivered while the daemon idles into a ticket, confirmation and page without any poll', async () => {
    for (const n of [1, 2, 3]) {
      await stack.deliver(customerMail({ subject: `SEV2 pushed ${n}`, messageId: `push-${n}@mail.acme.test` }));
      await stack.receiver.waitFor(n, 15_000);
      await stack.smtp.waitFor(n, 15_000);
    }
    expect(stack.receiver.requests.map((request) => (request.body as { dedup_key: string }).dedup_key)).toEqual(['CS-1', 'CS-2', 'CS-3']);
    expect(stack.smtp.received.map((mail) => mail.parsed.inReplyTo)).toEqual(['push-1@mail.acme.test', 'push-2@mail.acme.test', 'push-3@mail.acme.test']);
  });
});
