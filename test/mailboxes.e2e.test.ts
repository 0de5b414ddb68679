import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMailbox } from '../src/devservers/dovecot.server.js';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { countRows } from './support/exactly-once.js';
import { freePort } from './support/free-port.js';
import { customerMail } from './support/mail-factory.js';
import { stackDatabase, startTestStack } from './support/test-stack.js';
import { startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';

type Ready = { ok: boolean; mailboxes: Array<{ name: string; held: boolean }> };

const MAILBOXES = [
  { name: 'support', folder: 'INBOX', address: 'help@cloudsoft.test', prefix: 'CS' },
  { name: 'billing', folder: 'Billing', address: 'billing@cloudsoft.test', prefix: 'BILL' },
];

/**
 * Issue 18: one desk, two mailboxes (imap.mailboxes), two instances on one database (this run's dialect). The
 * instances share the mailboxes one each; each mailbox's mail opens tickets with its prefix, answered from its
 * address; when the holder of one is killed, the other instance syncs both.
 */
describe('two mailboxes shared by two instances', () => {
  let stack: LocalStack | undefined;
  const daemons: DaemonProcess[] = [];

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') for (const daemon of daemons) console.log(`daemon ${daemon.child.pid} logs (tail):\n${daemon.logs().slice(-3000)}`);
    await Promise.all(daemons.splice(0).map((daemon) => daemon.stop('SIGKILL')));
    await stack?.close();
    stack = undefined;
  });

  const ready = async (port: number): Promise<Ready> => (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Ready;
  const heldBy = (answer: Ready) => answer.mailboxes.filter((mailbox) => mailbox.held).map((mailbox) => mailbox.name);
  const mails = (folder: string, to: string, from: number, count: number) =>
    Array.from({ length: count }, (_, n) => customerMail({ from: `user${from + n}@acme.test`, subject: `SEV3 ${folder} question ${from + n}`, messageId: `${folder}-${from + n}@mail.acme.test` }).replace('To: help@cloudsoft.test', `To: ${to}`));

  it('splits the mailboxes, keeps each one\'s prefix and address, and moves a killed instance\'s mailbox to the other', async () => {
    stack = await startTestStack();
    await createMailbox({ ...stack.imap, mailbox: 'Billing' });
    const database = stackDatabase(stack);
    const configFile = await stack.writeConfig('ticketd.yaml', { imap: { pollCron: '* * * * * *', mailboxes: MAILBOXES }, outbox: { pollSeconds: 0.2 } });
    const ports = [await freePort(), await freePort()];
    const [first, second] = ports.map((port) => startDaemonProcess(configFile, { env: { TICKETD_HTTP_ADMIN_PORT: String(port) } })) as [DaemonProcess, DaemonProcess];
    daemons.push(first, second);

    // One mailbox each, both ready, each saying which it holds.
    const states = await vi.waitFor(async () => {
      const answers = await Promise.all(ports.map(ready));
      expect(answers.map((answer) => answer.ok)).toEqual([true, true]);
      expect(answers.map((answer) => heldBy(answer).length)).toEqual([1, 1]);
      return answers;
    }, { timeout: 40_000, interval: 200 });
    expect(states.flatMap(heldBy).sort()).toEqual(['billing', 'support']);
    expect(states[0]?.mailboxes.map((mailbox) => mailbox.name)).toEqual(['support', 'billing']);

    await stack.deliverMany(mails('support', 'help@cloudsoft.test', 0, 5));
    await stack.deliverMany(mails('billing', 'billing@cloudsoft.test', 100, 5), 'Billing');
    await vi.waitFor(async () => {
      expect(await countRows(database, "select count(*) from tickets where ref like 'CS-%'")).toBe(5);
      expect(await countRows(database, "select count(*) from tickets where ref like 'BILL-%'")).toBe(5);
    }, { timeout: 60_000, interval: 100 });
    expect(await countRows(database, "select count(*) from inbound_messages where source = 'billing'")).toBe(5);
    expect(await countRows(database, "select count(*) from inbound_messages where source = 'support'")).toBe(5);

    // Each customer's confirmation comes from the address they wrote to, under their mailbox's ref.
    const received = await stack.smtp.waitFor(10);
    const confirmationOf = (messageId: string) => received.find((mail) => mail.parsed.inReplyTo === messageId);
    expect(confirmationOf('billing-100@mail.acme.test')?.parsed.from).toContain('billing@cloudsoft.test');
    expect(confirmationOf('billing-100@mail.acme.test')?.parsed.subject).toMatch(/\[BILL-\d+\]/);
    expect(confirmationOf('support-0@mail.acme.test')?.parsed.from).toContain('help@cloudsoft.test');
    expect(confirmationOf('support-0@mail.acme.test')?.parsed.subject).toMatch(/\[CS-\d+\]/);

    // The instance syncing billing is killed: the other takes billing over and keeps support.
    const billingIndex = states.findIndex((answer) => heldBy(answer).includes('billing'));
    const killedAt = Date.now();
    await (billingIndex === 0 ? first : second).stop('SIGKILL');
    const survivor = ports[1 - billingIndex] as number;
    await vi.waitFor(async () => expect(heldBy(await ready(survivor)).sort()).toEqual(['billing', 'support']), { timeout: 35_000, interval: 100 });
    const takeoverMs = Date.now() - killedAt;
    console.log(`two mailboxes: billing taken over ${takeoverMs} ms after its holder was killed`);
    expect(takeoverMs).toBeLessThan(30_000);

    await stack.deliverMany(mails('billing', 'billing@cloudsoft.test', 200, 3), 'Billing');
    await vi.waitFor(async () => expect(await countRows(database, "select count(*) from tickets where ref like 'BILL-%'")).toBe(8), { timeout: 60_000, interval: 100 });
    expect(await countRows(database, 'select count(*) from inbound_messages')).toBe(13);
  }, 240_000);
});
