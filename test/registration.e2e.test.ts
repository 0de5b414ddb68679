import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { countRows, type DaemonDatabase } from './support/exactly-once.js';
import { stackDatabase, startTestStack } from './support/test-stack.js';
import { runTicketd, startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

const AUTHSERV = 'mx.cloudsoft.test';
const waitLong = { timeout: 60_000, interval: 250 };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function mail({ from, subject, id, authres, headers = [], body = 'Hello support.' }: { from: string; subject: string; id: string; authres: string | undefined; headers?: string[]; body?: string }): string {
  return [...(authres ? [`Authentication-Results: ${authres}`] : []), `From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${id}>`, 'Date: Wed, 25 Nov 2026 10:00:00 +0000', ...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}
const pass = (domain: string) => `${AUTHSERV}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`;

describe('registration, held mail and authentic senders on the real daemon', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;
  let browser: Browser;
  let database: DaemonDatabase;
  let baseUrl: string;

  const tickets = () => ticketdJson<Array<{ ref: string; subject: string; requester: string }>>(['tickets', 'list', '--config', configFile, '--json']);
  const quarantine = () => ticketdJson<Array<{ from: string; reason: string; subject: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
  const outbox = () => ticketdJson<Array<{ kind: string; status: string; target: string }>>(['outbox', 'list', '--config', configFile, '--json']);
  const mailsTo = (address: string) => stack.smtp.received.filter((received) => received.envelopeTo.includes(address));
  // countRows takes no parameters: only this file's addresses and link tokens ([A-Za-z0-9_-]) go into its SQL, as literals.
  const inboundCount = (from: string) => countRows(database, `select count(*) from inbound_messages where from_address = '${from}'`);

  beforeAll(async () => {
    stack = await startTestStack();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    configFile = await stack.writeConfig('ticketd.yaml', {
      support: { requireRegistration: true, signupHelpAddress: 'support@cloudsoft.test' },
      security: { senderAuth: 'authres', authservId: AUTHSERV },
      http: { port, publicUrl: baseUrl },
      limits: { autoRepliesPerHour: 5 },
    });
    daemon = startDaemonProcess(configFile);
    await vi.waitFor(async () => expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200), waitLong);
    database = stackDatabase(stack);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('quarantines a spoofed From of an approved domain (dmarc=fail, or a forged header with a foreign authserv-id): no ticket, page or reply', async () => {
    expect((await runTicketd(['users', 'add', 'ceo@acme.test', '--name', 'The CEO', '--config', configFile])).code).toBe(0);
    await stack.deliver(mail({ from: 'ceo@acme.test', subject: 'SEV1 wire money now', id: 'spoof-1@evil.test', authres: `${AUTHSERV}; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=acme.test` }));
    await stack.deliver(mail({ from: 'ceo@acme.test', subject: 'SEV1 wire money again', id: 'spoof-2@evil.test', authres: 'mx.evil.test; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test' }));

    await vi.waitFor(async () => expect((await quarantine()).filter((item) => item.from === 'ceo@acme.test')).toHaveLength(2), waitLong);
    const reasons = (await quarantine()).filter((item) => item.from === 'ceo@acme.test').map((item) => item.reason).sort();
    expect(reasons).toEqual([`sender-not-authenticated: dmarc=fail (${AUTHSERV})`, `sender-not-authenticated: no Authentication-Results from ${AUTHSERV}`]);
    expect(await tickets()).toEqual([]);
    expect(await outbox()).toEqual([]);
    expect(stack.receiver.requests).toHaveLength(0);
  });

  it('holds mail from an unregistered sender, who registers and verifies in Chromium, then gets a ticket, a confirmation and a page', async () => {
    await stack.deliver(mail({ from: 'Dana Scully <dana@acme.test>', subject: 'SEV2 VPN drops every hour', id: 'dana-1@mail.acme.test', authres: pass('acme.test') }));
    const [invite] = await vi.waitFor(() => {
      const found = mailsTo('dana@acme.test');
      expect(found).toHaveLength(1);
      return found;
    }, waitLong);
    expect(await tickets()).toEqual([]);
    expect(await ticketdJson(['held', 'list', '--config', configFile, '--json'])).toEqual([expect.objectContaining({ from: 'dana@acme.test', reason: 'sender-not-registered', subject: 'SEV2 VPN drops every hour' })]);
    expect(invite?.parsed.headers['auto-submitted']).toBe('auto-replied');
    expect(invite?.parsed.inReplyTo).toBe('dana-1@mail.acme.test');
    const registerLink = /(http:\/\/\S+\/register\?email=\S+)/.exec(invite?.parsed.text ?? '')?.[1];
    expect(registerLink).toBe(`${baseUrl}/register?email=dana%40acme.test`);

    const page = await browser.newPage();
    await page.goto(registerLink as string);
    expect(await page.inputValue('#email')).toBe('dana@acme.test');
    await page.fill('#name', 'Dana Scully');
    await page.screenshot({ path: path.join(stack.dir, 'register-form.png') });
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await expect.poll(() => page.textContent('h1')).toBe('Check your mailbox');

    const verification = await vi.waitFor(() => {
      const found = mailsTo('dana@acme.test').find((received) => received.parsed.subject === 'Confirm your address for support');
      expect(found).toBeDefined();
      return found;
    }, waitLong);
    const verifyLink = /(http:\/\/\S+\/verify\?token=[A-Za-z0-9_-]+)/.exec(verification?.parsed.text ?? '')?.[1] as string;
    expect(verifyLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/verify\?token=/);
    expect(await countRows(database, `select count(*) from verification_tokens where token_hash = '${new URL(verifyLink).searchParams.get('token')}'`)).toBe(0);

    // Opening the link shows a page (link scanners open it too); its button confirms and sets the password.
    await page.goto(verifyLink);
    expect(await page.textContent('h1')).toBe('Confirm your address');
    expect(await tickets()).toEqual([]);
    await page.fill('#password', 'a long enough passphrase');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await expect.poll(() => page.textContent('h1')).toBe('Address confirmed');
    expect(await page.textContent('main')).toContain('CS-1');
    await page.screenshot({ path: path.join(stack.dir, 'verified.png'), fullPage: true });

    const confirmation = await vi.waitFor(() => {
      const found = mailsTo('dana@acme.test').find((received) => received.parsed.subject.includes('[CS-1]'));
      expect(found).toBeDefined();
      return found;
    }, waitLong);
    expect(confirmation?.parsed.inReplyTo).toBe('dana-1@mail.acme.test');
    const [pageEvent] = await stack.receiver.waitFor(1, 60_000);
    expect(pageEvent?.body).toMatchObject({ event_action: 'trigger', dedup_key: 'CS-1', payload: { severity: 'error' } });
    expect(await tickets()).toEqual([expect.objectContaining({ ref: 'CS-1', subject: 'SEV2 VPN drops every hour', requester: 'dana@acme.test' })]);
    expect(await ticketdJson(['held', 'list', '--config', configFile, '--json'])).toEqual([]);

    await page.goto(verifyLink);
    expect(await page.textContent('h1')).toBe('This link was already used');
    await page.goto(`${baseUrl}/verify?token=not-a-real-token`);
    expect(await page.textContent('h1')).toBe('This link is not valid');

    // The form answers every address alike (no domain enumeration); the mail to that address says why not.
    const signedIn = await browser.newPage();
    await signedIn.goto(`${baseUrl}/register`);
    await signedIn.fill('#name', 'Zed');
    await signedIn.fill('#email', 'zed@unknown-corp.test');
    await Promise.all([signedIn.waitForLoadState('load'), signedIn.click('button[type=submit]')]);
    await expect.poll(() => signedIn.textContent('h1')).toBe('Check your mailbox');
    const refusal = await vi.waitFor(() => {
      const found = mailsTo('zed@unknown-corp.test')[0];
      expect(found).toBeDefined();
      return found;
    }, waitLong);
    expect(refusal?.parsed.text).toContain('unknown-corp.test is not one of them');
    expect(refusal?.parsed.text).toContain('support@cloudsoft.test');
    await signedIn.close();
    await page.close();
  });

  it('answers an autoresponder that replies to every automatic mail, for 200 rounds, at most five times', async () => {
    const robot = 'autoresponder@globex.test';
    for (let round = 0; round < 200; round += 1) {
      const last = mailsTo(robot).at(-1);
      await stack.deliver(
        mail({
          from: robot,
          subject: `Re: ${last?.parsed.subject ?? 'hello'}`,
          id: `robot-${round}@globex.test`,
          authres: pass('globex.test'),
          headers: last?.parsed.messageId ? [`In-Reply-To: <${last.parsed.messageId}>`] : [],
          body: 'Thank you for your mail. This is an automatic answer.',
        }),
      );
    }
    await vi.waitFor(async () => expect(await inboundCount(robot)).toBe(200), { timeout: 120_000, interval: 500 });
    await vi.waitFor(async () => expect((await outbox()).filter((item) => item.status === 'pending')).toEqual([]), waitLong);
    console.log(`autoresponder: 200 mails in, ${mailsTo(robot).length} automatic replies out`);
    expect(mailsTo(robot)).toHaveLength(5);
    expect(await tickets()).toHaveLength(1);
  }, 180_000);

  it('imports users from CSV: good rows in as verified, bad rows reported by line, idempotent on a second run', async () => {
    expect((await runTicketd(['domains', 'add', 'initech.test', '--organisation', 'Initech', '--config', configFile])).stdout).toContain('approved initech.test');
    expect(await ticketdJson<Array<{ domain: string; organisation: string }>>(['domains', 'list', '--config', configFile, '--json'])).toEqual(
      expect.arrayContaining([expect.objectContaining({ domain: 'initech.test', organisation: 'Initech' }), expect.objectContaining({ domain: 'acme.test', organisation: 'acme.test' })]),
    );
    const file = path.join(stack.dir, 'users.csv');
    await writeFile(file, ['email,name,organisation', 'erin@acme.test,Erin,ACME Corp', 'not-an-email,Nobody', 'frank@unknown-corp.test,Frank', 'gina@globex.test,"Gina, Jr."', 'ERIN@acme.test,Erin twice', 'peter@initech.test,Peter', ''].join('\n'));
    const first = await runTicketd(['users', 'import', file, '--welcome', '--config', configFile]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('6 rows: 3 created, 0 updated, 0 unchanged, 3 rejected; 3 welcome mails queued');
    expect(first.stderr).toContain(`${file}:3: not-an-email: not an email address`);
    expect(first.stderr).toContain(`${file}:4: frank@unknown-corp.test: domain unknown-corp.test is not approved`);
    expect(first.stderr).toContain(`${file}:6: erin@acme.test: duplicate of line 2`);
    const users = await ticketdJson<Array<{ email: string; name: string; organisation: string | null; status: string }>>(['users', 'list', '--status', 'verified', '--config', configFile, '--json']);
    expect(users).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: 'erin@acme.test', name: 'Erin', organisation: 'ACME Corp', status: 'verified' }),
        expect.objectContaining({ email: 'gina@globex.test', name: 'Gina, Jr.', status: 'verified' }),
        expect.objectContaining({ email: 'peter@initech.test', organisation: 'Initech', status: 'verified' }),
      ]),
    );
    await vi.waitFor(() => expect(mailsTo('erin@acme.test').map((m) => m.parsed.subject)).toEqual(['Welcome to our support desk']), waitLong);

    const second = await runTicketd(['users', 'import', file, '--welcome', '--config', configFile]);
    expect(second.stdout).toContain('0 created, 0 updated, 3 unchanged, 3 rejected; 0 welcome mails queued');

    expect((await runTicketd(['domains', 'remove', 'initech.test', '--config', configFile])).stdout).toContain('removed initech.test');
    const refused = await runTicketd(['users', 'add', 'bill@initech.test', '--config', configFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('initech.test is not an approved domain');
  });

  it('imports 10,000 users in a few seconds', async () => {
    const file = path.join(stack.dir, 'many.csv');
    await writeFile(file, ['email,name', ...Array.from({ length: 10_000 }, (_, index) => `user${index}@acme.test,User ${index}`)].join('\n'));
    const started = Date.now();
    const result = await runTicketd(['users', 'import', file, '--config', configFile, '--json']);
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(result.stdout) as { rows: number; created: number; errors: unknown[]; seconds: number };
    console.log(`10,000-row import: ${report.seconds.toFixed(2)} s importing, ${seconds.toFixed(2)} s for the whole command with Node start-up`);
    expect(result.code).toBe(0);
    expect(report).toMatchObject({ rows: 10_000, created: 10_000, errors: [] });
    // The import itself (parse, validate, one transaction); process start-up varies with the machine's load.
    expect(report.seconds).toBeLessThan(5);
  });
});
