import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recreateMailbox, createMailbox } from '../src/devservers/dovecot.server.js';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { customerMail, mailWithAttachment } from './support/mail-factory.js';
import { countRows, expectEveryMailOnce } from './support/exactly-once.js';
import { startTestStack, stackDatabase } from './support/test-stack.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

type OutboxJson = { id: number; kind: string; status: string; attempts: number; lastError: string | null; target: string };
type PageBody = { dedup_key: string; event_action: string };

/** Fast retries so a test sees several attempts in seconds; the logic is the production one. */
const FAST = { outbox: { pollSeconds: 0.2, retryBaseSeconds: 0.2, retryMaxSeconds: 1 }, imap: { pollCron: '* * * * * *' } };
const waitLong = { timeout: 60_000, interval: 250 };

describe('nothing lost, nothing twice', () => {
  let stack: LocalStack | undefined;
  const daemons: DaemonProcess[] = [];

  const start = (configFile: string) => {
    const daemon = startDaemonProcess(configFile);
    daemons.push(daemon);
    return daemon;
  };


  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((daemon) => daemon.stop('SIGKILL')));
    await stack?.close();
    stack = undefined;
  });

  it('delivers every confirmation exactly once after the SMTP peer answered 451 for a while', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', FAST);
    stack.smtp.setResponder(({ stage }) => (stage === 'mail' ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined));
    start(configFile);
    await stack.deliverMany([1, 2, 3, 4, 5].map((n) => customerMail({ subject: `SEV3 greylisted ${n}`, messageId: `grey-${n}@mail.acme.test` })));

    await vi.waitFor(async () => {
      const emails = (await ticketdJson<OutboxJson[]>(['outbox', 'list', '--config', configFile, '--json'])).filter((item) => item.kind === 'email');
      expect(emails).toHaveLength(5);
      for (const email of emails) expect(email.attempts).toBeGreaterThanOrEqual(2);
      expect(emails[0]?.lastError).toContain('451');
    }, waitLong);
    expect(stack.smtp.received).toHaveLength(0);

    stack.smtp.setResponder(undefined);
    await stack.smtp.waitFor(5, 30_000);
    await vi.waitFor(async () => {
      const all = await ticketdJson<OutboxJson[]>(['outbox', 'list', '--config', configFile, '--json']);
      expect(all.every((item) => item.status === 'sent')).toBe(true);
    }, waitLong);
    const ids = stack.smtp.received.map((mail) => mail.parsed.messageId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  });

  it('gets every page through 429 and 500 answers, and turns a 400 into a dead letter that is never retried', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', FAST);
    let answered = 0;
    stack.receiver.setResponder((request) => {
      const body = request.body as PageBody;
      if (body.dedup_key === 'CS-3') return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['simulated'] } };
      answered += 1;
      if (answered <= 3) return { status: 429, body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' } };
      if (answered <= 6) return { status: 500, body: { status: 'error' } };
      return undefined;
    });
    start(configFile);
    await stack.deliverMany([1, 2, 3, 4].map((n) => customerMail({ subject: `SEV2 paging ${n}`, messageId: `page-${n}@mail.acme.test` })));

    await vi.waitFor(() => {
      const accepted = stack?.receiver.requests.filter((request) => request.status === 202).map((request) => (request.body as PageBody).dedup_key);
      expect(new Set(accepted)).toEqual(new Set(['CS-1', 'CS-2', 'CS-4']));
    }, waitLong);
    const failed = await ticketdJson<OutboxJson[]>(['outbox', 'list', '--config', configFile, '--failed', '--json']);
    expect(failed).toEqual([expect.objectContaining({ kind: 'page', status: 'failed', attempts: 1, target: 'trigger CS-3' })]);
    expect(failed[0]?.lastError).toContain('pager.invalid_event');
    expect(stack.receiver.requests.filter((request) => (request.body as PageBody).dedup_key === 'CS-3')).toHaveLength(1);
    expect(stack.receiver.requests.filter((request) => [429, 500].includes(request.status))).toHaveLength(6);
  });

  it('reconnects after Dovecot was stopped and restarted, and misses no mail that came meanwhile', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', FAST);
    const daemon = start(configFile);
    await stack.deliver(customerMail({ subject: 'before the outage', messageId: 'before@mail.acme.test' }));
    await stack.smtp.waitFor(1, 30_000);

    await stack.dovecot.stop();
    await vi.waitFor(() => expect(daemon.logs()).toContain('IMAP connection failed'), waitLong);
    await stack.dovecot.start();
    await stack.deliverMany([1, 2, 3].map((n) => customerMail({ subject: `after the outage ${n}`, messageId: `after-${n}@mail.acme.test` })));

    await stack.smtp.waitFor(4, 60_000);
    const tickets = await ticketdJson<Array<{ subject: string }>>(['tickets', 'list', '--config', configFile, '--json']);
    expect(tickets.map((ticket) => ticket.subject)).toEqual(['before the outage', 'after the outage 1', 'after the outage 2', 'after the outage 3']);
    expect(daemon.child.exitCode).toBeNull();
  });

  it('resyncs a mailbox whose UIDVALIDITY changed without a duplicate ticket or confirmation', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', { ...FAST, imap: { ...FAST.imap, mailbox: 'Support' } });
    await createMailbox({ ...stack.imap, mailbox: 'Support' });
    const mails = [1, 2, 3].map((n) => customerMail({ subject: `resync ${n}`, messageId: `resync-${n}@mail.acme.test` }));
    await stack.deliverMany(mails, 'Support');
    let daemon = start(configFile);
    await stack.smtp.waitFor(3, 30_000);
    expect(await daemon.stop('SIGTERM')).toBe(0);

    // The folder is recreated (new UIDVALIDITY, UIDs from 1 again) with the same mail plus one new.
    await recreateMailbox({ ...stack.imap, mailbox: 'Support' });
    await stack.deliverMany([...mails, customerMail({ subject: 'resync 4', messageId: 'resync-4@mail.acme.test' })], 'Support');
    daemon = start(configFile);
    await stack.smtp.waitFor(4, 30_000);
    const database = stackDatabase(stack);
    await vi.waitFor(async () => expect(await countRows(database, "select count(*) from inbound_messages where outcome = 'duplicate'")).toBe(3), waitLong);

    const tickets = await ticketdJson<Array<{ subject: string }>>(['tickets', 'list', '--config', configFile, '--json']);
    expect(tickets.map((ticket) => ticket.subject)).toEqual(['resync 1', 'resync 2', 'resync 3', 'resync 4']);
    expect(stack.smtp.received).toHaveLength(4);
    expect(stack.receiver.requests).toHaveLength(4);
  });

  it('ingests a mail with a 30 MB attachment while the daemon stays well under 250 MB of memory', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', FAST);
    const { raw, attachment } = mailWithAttachment({ bytes: 30 * 1024 * 1024, messageId: 'big-1@mail.acme.test' });
    await stack.deliver(raw);
    const daemon = start(configFile);
    await stack.smtp.waitFor(1, 60_000);

    // VmHWM is the peak resident set size of the process over its whole life.
    const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
    const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
    console.log(`daemon peak RSS with a ${(raw.length / 1024 / 1024).toFixed(1)} MB message: ${peakMb.toFixed(0)} MB`);
    expect(peakMb).toBeGreaterThan(0);
    expect(peakMb).toBeLessThan(250);
    const ticket = await ticketdJson<{ messages: Array<{ attachments: Array<{ filename: string; size: number; sha256: string }> }> }>(['tickets', 'show', 'CS-1', '--config', configFile, '--json']);
    expect(ticket.messages[0]?.attachments).toEqual([
      expect.objectContaining({ filename: 'heap.bin', size: attachment.length, sha256: createHash('sha256').update(attachment).digest('hex') }),
    ]);
  });

  it('survives SIGKILL at 10 random moments with exactly 300 tickets and every confirmation and page delivered', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', { ...FAST, log: { level: 'warn' } });
    const database = stackDatabase(stack);
    const total = 300;
    await stack.deliverMany(Array.from({ length: total }, (_, n) => customerMail({ from: `user${n}@acme.test`, subject: `SEV${(n % 4) + 1} crash test ${n}`, messageId: `crash-${n}@mail.acme.test` })));

    const kills = 10;
    // Kill points spread over the whole run, chosen by progress rather than by time, so they land while
    // the daemon works whatever the speed of the machine.
    const targets = [...new Set(Array.from({ length: kills }, () => 5 + Math.floor(Math.random() * (total - 10))))].sort((a, b) => a - b);
    const progress: string[] = [];
    for (const target of targets) {
      const daemon = start(configFile);
      await vi.waitFor(async () => expect(await countRows(database, 'select count(*) from inbound_messages')).toBeGreaterThanOrEqual(target), { timeout: 120_000, interval: 20 });
      await daemon.stop('SIGKILL');
      const ingested = await countRows(database, 'select count(*) from inbound_messages');
      progress.push(`${ingested} ingested / ${stack.smtp.received.length} mails / ${stack.receiver.requests.length} pages`);
    }
    console.log(`after each of ${targets.length} SIGKILLs:\n  ${progress.join('\n  ')}`);
    start(configFile);
    expect(targets.length).toBeGreaterThanOrEqual(8);
    await expectEveryMailOnce({ database, stack, total, kills: targets.length });
  }, 600_000);
});
