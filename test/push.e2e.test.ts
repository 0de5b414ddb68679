import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { customerMail } from './support/mail-factory.js';
import { startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';
import { startTestStack } from './support/test-stack.js';

describe('push over IMAP IDLE', () => {
  let stack: LocalStack;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    stack = await startTestStack();
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

  it("logs where each pushed mail's time went, from the server's EXISTS to the commit", () => {
    const ingested = daemon
      .logs()
      .split('\n')
      .filter((line) => line.includes('"message ingested"'))
      .map((line) => JSON.parse(line) as { messageId?: string; stages?: Record<string, number | string> });
    expect(ingested.map((entry) => entry.messageId)).toEqual(['push-1@mail.acme.test', 'push-2@mail.acme.test', 'push-3@mail.acme.test']);
    for (const { stages } of ingested) {
      // Each came by IDLE news, so its trace starts there and has every stage.
      expect(stages).toMatchObject({ since: 'heardAt', list: expect.any(Number), fetch: expect.any(Number), parse: expect.any(Number), authenticate: expect.any(Number), commit: expect.any(Number) });
      const { list, fetch, parse, authenticate, commit, total } = stages as Record<string, number>;
      expect(Math.abs((list as number) + (fetch as number) + (parse as number) + (authenticate as number) + (commit as number) - (total as number))).toBeLessThan(0.5);
      expect(total).toBeGreaterThan(0);
    }
  });
});
