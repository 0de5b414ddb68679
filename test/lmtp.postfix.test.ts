import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { startPostfix, type PostfixServer } from '../src/devservers/postfix.server.js';
import { freePort } from './support/free-port.js';
import { customerMail } from './support/mail-factory.js';
import { startTestStack } from './support/test-stack.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

type Ticket = { ref: string; subject: string; severity: string; requester: string };
type Readiness = { ok: boolean; checks: Record<string, { ok: boolean; detail: string }> };
const waitLong = { timeout: 30_000, interval: 100 };

/**
 * The push path end to end: a customer's mail handed to a real Postfix on loopback is delivered over
 * `lmtp:inet:127.0.0.1:PORT` to `ticketd run` (with no IMAP at all) and becomes a ticket, a confirmation and a
 * page; while ticketd is down Postfix keeps the mail queued and delivers it once ticketd is back.
 * A `*.postfix.test.ts` file: Postfix's master needs root and the Debian package, so where it cannot run
 * vitest.config.ts leaves this file out and says why in one line (TICKETD_POSTFIX_REQUIRED=1, set by .ci/run,
 * makes that an error instead).
 */
describe('mail delivered by Postfix over LMTP', () => {
  let stack: LocalStack;
  let postfix: PostfixServer;
  let daemon: DaemonProcess | undefined;
  let configFile: string;
  let adminPort: number;
  let submit: ReturnType<typeof nodemailer.createTransport>;

  beforeAll(async () => {
    stack = await startTestStack();
    const lmtpPort = await freePort();
    adminPort = await freePort();
    // The Postfix lines the README documents: help@ (and its plus-addresses) go to ticketd over LMTP.
    postfix = await startPostfix({ domains: ['cloudsoft.test'], mailboxes: ['help@cloudsoft.test'], transports: { 'help@cloudsoft.test': `lmtp:inet:127.0.0.1:${lmtpPort}` } });
    // Postfix offers no AUTH without SASL: a client on loopback (mynetworks) submits without credentials.
    submit = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true });
    const { imap: _imap, ...config } = stack.config({ lmtp: { port: lmtpPort }, http: { port: await freePort(), adminPort } });
    configFile = path.join(stack.dir, 'lmtp-only.yaml');
    await writeFile(configFile, stringify(config));
  });

  afterAll(async () => {
    submit?.close();
    await daemon?.stop('SIGKILL');
    await postfix?.destroy();
    await stack?.close();
  });

  async function startDaemon(): Promise<DaemonProcess> {
    const started = startDaemonProcess(configFile);
    await vi.waitFor(() => expect(started.logs()).toContain('ticketd running'), waitLong);
    return started;
  }

  const tickets = () => ticketdJson<Ticket[]>(['tickets', 'list', '--config', configFile, '--json']);

  it("turns a customer's mail handed to Postfix into a ticket, a confirmation and a page, acknowledged only then", async () => {
    daemon = await startDaemon();
    const ready = (await (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json()) as Readiness;
    expect(ready.ok).toBe(true);
    expect(Object.keys(ready.checks).sort()).toEqual(['database', 'lmtp', 'outbox']);

    const accepted = await submit.sendMail({ envelope: { from: 'alice@acme.test', to: ['help@cloudsoft.test'] }, raw: customerMail({ subject: 'SEV1 checkout is down', messageId: 'lmtp-1@mail.acme.test' }) });
    expect(accepted.response).toMatch(/^250 .*queued as/);
    const [page] = await stack.receiver.waitFor(1, 15_000);
    const [confirmation] = await stack.smtp.waitFor(1, 15_000);
    expect(page?.body).toMatchObject({ event_action: 'trigger', dedup_key: 'CS-1', payload: { severity: 'critical' } });
    expect(confirmation?.envelopeTo).toEqual(['alice@acme.test']);
    expect(confirmation?.parsed.inReplyTo).toBe('lmtp-1@mail.acme.test');
    expect(await tickets()).toMatchObject([{ ref: 'CS-1', severity: 'SEV1', requester: 'alice@acme.test' }]);
    // Postfix logged our per-recipient answer, given after the commit; nothing is left in its queue.
    await vi.waitFor(async () => expect(await postfix.log()).toMatch(/to=<help@cloudsoft\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 OK: recorded as ticket CS-1 \(inbound 1\)\)/), waitLong);
    expect(await postfix.queued()).toEqual([]);
  });

  it('bounces mail for an address ticketd does not take, at Postfix, before it reaches ticketd', async () => {
    const refused = await submit.sendMail({ envelope: { from: 'alice@acme.test', to: ['sales@cloudsoft.test'] }, raw: customerMail({ subject: 'for sales', messageId: 'lmtp-sales@mail.acme.test' }) }).catch((error: { responseCode?: number }) => error);
    expect(refused).toMatchObject({ responseCode: 550 });
  });

  it('keeps a mail in the Postfix queue while ticketd is down and delivers it once ticketd is up again', async () => {
    expect(await daemon?.stop('SIGTERM')).toBe(0);
    daemon = undefined;
    await submit.sendMail({ envelope: { from: 'bob@acme.test', to: ['help+cs-1.token@cloudsoft.test'] }, raw: customerMail({ from: 'bob@acme.test', subject: 'SEV2 exports fail', messageId: 'lmtp-2@mail.acme.test' }) });
    await vi.waitFor(async () => expect(await postfix.log()).toMatch(/to=<help\+cs-1\.token@cloudsoft\.test>.*status=deferred \(.*Connection refused\)/), waitLong);
    expect(await postfix.queued()).toHaveLength(1);
    expect(stack.receiver.requests).toHaveLength(1);

    daemon = await startDaemon();
    await stack.receiver.waitFor(2, 30_000);
    await stack.smtp.waitFor(2, 15_000);
    expect(stack.receiver.requests.map((request) => (request.body as { dedup_key: string }).dedup_key)).toEqual(['CS-1', 'CS-2']);
    expect((await tickets()).map((ticket) => [ticket.ref, ticket.subject])).toEqual([
      ['CS-1', 'SEV1 checkout is down'],
      ['CS-2', 'SEV2 exports fail'],
    ]);
    await vi.waitFor(async () => expect(await postfix.queued()).toEqual([]), waitLong);
  });
});
