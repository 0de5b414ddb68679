import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { ReceivedMail } from '../src/devservers/smtp-peer.server.js';
import { countRows, type DaemonDatabase } from './support/exactly-once.js';
import { freePort } from './support/free-port.js';
import { stackDatabase, startTestStack } from './support/test-stack.js';
import { runTicketd, startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

const AUTHSERV = 'mx.cloudsoft.test';
const waitLong = { timeout: 60_000, interval: 250 };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery staple';
// `TICKETD_SCREENSHOTS=1 npx vitest run test/portal.e2e.test.ts` (npm run screenshots) refreshes docs/screenshots/.
const SCREENSHOTS = process.env.TICKETD_SCREENSHOTS === '1' ? fileURLToPath(new URL('../docs/screenshots/', import.meta.url)) : undefined;

type PageEvent = { event_action: string; dedup_key: string; payload?: { severity: string }; links?: Array<{ href: string }> };

describe('the support portal in Chromium against the real daemon, Dovecot, an SMTP peer and a paging receiver', () => {
  let stack: LocalStack;
  let configFile: string;
  let daemon: DaemonProcess;
  let browser: Browser;
  let database: DaemonDatabase;
  let base: string;
  const contexts: BrowserContext[] = [];

  const mailsTo = (address: string) => stack.smtp.received.filter((mail) => mail.envelopeTo.includes(address));
  const mailTo = (address: string, match: (mail: ReceivedMail) => boolean) =>
    vi.waitFor(() => {
      const found = mailsTo(address).find(match);
      expect(found, `a mail to ${address}`).toBeDefined();
      return found as ReceivedMail;
    }, waitLong);
  const linkIn = (mail: ReceivedMail, pathname: string) => new RegExp(`(http://127\\.0\\.0\\.1:\\d+${pathname}\\?token=[A-Za-z0-9_-]+)`).exec(mail.parsed.text)?.[1] as string;
  const pages = () => stack.receiver.requests.map((request) => request.body as PageEvent);
  const userStatus = async (email: string) => (await ticketdJson<Array<{ email: string; status: string }>>(['users', 'list', '--config', configFile, '--json'])).find((user) => user.email === email)?.status;

  async function newPage({ phone = false } = {}): Promise<Page> {
    const context = await browser.newContext(phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true } : { viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    return context.newPage();
  }
  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(SCREENSHOTS ?? stack.dir, `${name}.png`), fullPage: true });
  }
  async function signIn(page: Page, email: string, password = PASSWORD) {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  /** A user the company registered: `users add --welcome`, then the welcome mail's link sets the password. */
  async function invite(email: string, args: string[]): Promise<Page> {
    const added = await runTicketd(['users', 'add', email, ...args, '--welcome', '--config', configFile]);
    expect(added.code, added.stderr).toBe(0);
    const welcome = await mailTo(email, (mail) => mail.parsed.subject === 'Welcome to our support desk');
    const page = await newPage();
    await page.goto(linkIn(welcome, '/reset'));
    await expect.poll(() => page.textContent('h1')).toBe('Choose your password');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('Your password is set');
    return page;
  }

  beforeAll(async () => {
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startTestStack();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    configFile = await stack.writeConfig('ticketd.yaml', {
      support: { requireRegistration: true, engineerNotify: ['oncall@cloudsoft.test'], signupHelpAddress: 'support@cloudsoft.test' },
      security: { senderAuth: 'authres', authservId: AUTHSERV },
      // The whole file signs in from 127.0.0.1 within a minute or two: the per-client form limit (20 a minute by
      // default, tested in web.server.test.ts) would answer 429 before the account throttle tested here.
      http: { port, publicUrl: base, formPostsPerMinute: 1000 },
      accounts: { loginFailuresPerAccount: 10 },
    });
    daemon = startDaemonProcess(configFile);
    await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), waitLong);
    database = stackDatabase(stack);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('signs up with an approved domain, verifies with a password on a page whose GET changes nothing, logs out and in again', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot(page, 'login');
    await page.getByRole('link', { name: 'Sign up' }).first().click();
    await page.getByLabel('Name').fill('Dana Scully');
    await page.getByLabel('Email').fill('dana@acme.test');
    await shot(page, 'register');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your mailbox');

    const verification = await mailTo('dana@acme.test', (mail) => mail.parsed.subject === 'Confirm your address for support');
    const link = linkIn(verification, '/verify');
    const token = new URL(link).searchParams.get('token') as string;
    // The outbox kept the mail with a placeholder: the token itself was never stored in clear (linkIn's token, of
    // [A-Za-z0-9_-] only, goes into the SQL as a literal; `replace` is on both dialects).
    const verifyMails = "from outbox where payload_json like '%/verify?token=%'";
    expect(await countRows(database, `select count(*) ${verifyMails}`)).toBe(1);
    expect(await countRows(database, `select count(*) ${verifyMails} and replace(payload_json, '${token}', '') != payload_json`)).toBe(0);
    expect(await countRows(database, `select count(*) from verification_tokens where token_hash = '${token}'`)).toBe(0);

    // A link scanner fetching the URL verifies nothing.
    expect((await fetch(link)).status).toBe(200);
    expect(await userStatus('dana@acme.test')).toBe('pending');
    await page.goto(link);
    await expect.poll(() => page.textContent('h1')).toBe('Confirm your address');
    expect(await page.getByLabel('Name').inputValue()).toBe('Dana Scully');
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expect.poll(() => page.textContent('#password-error')).toContain('most common');
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, 'verify');
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Address confirmed');
    expect(await userStatus('dana@acme.test')).toBe('verified');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${base}/tickets`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('dana@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('My tickets');
  });

  it('opens a SEV1 ticket on the web with an attachment: the page, the confirmation and the engineers\' notification go out, the link leads to the ticket', async () => {
    const page = await newPage();
    await signIn(page, 'dana@acme.test');
    await page.getByRole('link', { name: 'New ticket' }).first().click();
    await page.getByLabel('Subject').fill('Checkout returns 500 for every order');
    await page.getByLabel('Severity').selectOption('SEV1');
    await page.getByLabel('Description').fill('Since 09:12 every checkout fails with HTTP 500.\nNo deploy on our side.');
    await page.getByLabel('Attachments').setInputFiles({ name: 'trace.txt', mimeType: 'text/plain', buffer: Buffer.from('java.lang.IllegalStateException: pool exhausted\n') });
    await shot(page, 'ticket-new');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tickets/CS-1');
    expect(await page.textContent('h1')).toContain('Checkout returns 500 for every order');
    expect(await page.textContent('.notice')).toContain('Your ticket was created');

    const [trigger] = await stack.receiver.waitFor(1, 60_000);
    expect(trigger?.body).toMatchObject({ event_action: 'trigger', dedup_key: 'CS-1', payload: { severity: 'critical' }, links: [{ href: `${base}/tickets/CS-1` }] });
    const confirmation = await mailTo('dana@acme.test', (mail) => mail.parsed.subject.includes('[CS-1]'));
    expect(confirmation.parsed.text).toContain('SEV1');
    expect(confirmation.parsed.text).toContain(`${base}/tickets/CS-1`);
    const notice = await mailTo('oncall@cloudsoft.test', (mail) => mail.parsed.subject.includes('[CS-1]'));
    expect(notice.parsed.text).toContain('Since 09:12 every checkout fails');
    expect(await ticketdJson(['tickets', 'show', 'CS-1', '--config', configFile, '--json'])).toMatchObject({ severity: 'SEV1', requester: 'dana@acme.test', messages: expect.arrayContaining([expect.objectContaining({ attachments: [expect.objectContaining({ filename: 'trace.txt' })] })]) });

    // The file downloads for those who may see the ticket.
    const href = (await page.getByRole('link', { name: 'trace.txt' }).getAttribute('href')) as string;
    const download = await page.request.get(`${base}${href}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toContain('attachment');
    expect(await download.text()).toContain('pool exhausted');
  });

  it("shows an engineer's emailed reply on the customer's page; the customer's answer on the web reaches the engineer by mail", async () => {
    const notice = await mailTo('oncall@cloudsoft.test', (mail) => mail.parsed.subject.includes('[CS-1]'));
    await stack.deliver(
      [
        `Authentication-Results: ${AUTHSERV}; spf=pass smtp.mailfrom=cloudsoft.test; dkim=pass header.d=cloudsoft.test; dmarc=pass header.from=cloudsoft.test`,
        'From: Eve Engineer <eve@cloudsoft.test>',
        `To: ${notice.parsed.headers['reply-to']}`,
        `Subject: Re: ${notice.parsed.subject}`,
        'Message-ID: <eve-1@cloudsoft.test>',
        `In-Reply-To: <${notice.parsed.messageId}>`,
        'Date: Wed, 25 Nov 2026 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'We see pool exhaustion on our side. Restarting the payment workers now.',
        '',
      ].join('\r\n'),
    );
    await mailTo('dana@acme.test', (mail) => mail.parsed.text.includes('Restarting the payment workers'));

    const page = await newPage();
    await signIn(page, 'dana@acme.test', PASSWORD);
    await page.goto(`${base}/tickets/CS-1`);
    expect(await page.textContent('.messages')).toContain('Restarting the payment workers now.');
    // Customers do not see the engineers' internal copy of the notification.
    expect(await page.textContent('.messages')).not.toContain('New ticket CS-1');
    await page.getByLabel('Message').fill('Thanks: checkout works again since 10:05.');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('Your message was added');
    expect(await page.textContent('.messages')).toContain('checkout works again since 10:05');
    await shot(page, 'ticket-customer');

    const followUp = await mailTo('eve@cloudsoft.test', (mail) => mail.parsed.text.includes('checkout works again since 10:05'));
    expect(followUp.parsed.subject).toContain('[CS-1]');
    expect(followUp.parsed.headers['reply-to']).toMatch(/^help\+cs-1\./);

    const phone = await newPage({ phone: true });
    await signIn(phone, 'dana@acme.test');
    await phone.goto(`${base}/tickets/CS-1`);
    // Readable on a phone: nothing wider than the screen.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(phone, 'ticket-phone');
  });

  it('lets a manager see and answer a colleague\'s ticket, while a user of another organisation gets 404 for it and its file', async () => {
    const manager = await invite('mia@acme.test', ['--name', 'Mia Manager', '--role', 'manager']);
    await manager.goto(`${base}/tickets`);
    expect(await manager.textContent('h1')).toBe('Tickets of my organisation');
    expect(await manager.textContent('table')).toContain('CS-1');
    await manager.goto(`${base}/tickets/CS-1`);
    expect(await manager.textContent('h1')).toContain('Checkout returns 500');
    await manager.getByLabel('Message').fill('Mia here: please send the incident report to me.');
    await manager.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => manager.textContent('.notice')).toContain('Your message was added');

    const colleague = await invite('ron@acme.test', ['--name', 'Ron Member']);
    const colleagueAnswer = await colleague.goto(`${base}/tickets/CS-1`);
    expect(colleagueAnswer?.status()).toBe(404);

    const outsider = await invite('gina@globex.test', ['--name', 'Gina Globex']);
    const answer = await outsider.goto(`${base}/tickets/CS-1`);
    expect(answer?.status()).toBe(404);
    expect(await outsider.textContent('h1')).toBe('Not found');
    expect((await outsider.request.get(`${base}/tickets/CS-1/attachments/1`)).status()).toBe(404);
    expect((await outsider.request.get(`${base}/tickets/CS-999`)).status()).toBe(404);
    await outsider.goto(`${base}/tickets?q=Checkout&status=all`);
    expect(await outsider.textContent('main')).toContain('No tickets');
  }, 180_000);

  it('lets an engineer open the ticket from the page link, see internal messages, add a note, change the severity and resolve the page; the queue lists it', async () => {
    const engineer = await invite('eve@cloudsoft.test', ['--engineer', '--name', 'Eve Engineer']);
    expect(new URL(engineer.url()).pathname).toBe('/queue');
    expect(await engineer.textContent('table')).toContain('CS-1');
    await shot(engineer, 'queue');
    const link = pages()[0]?.links?.[0]?.href as string;
    await engineer.goto(link);
    expect(await engineer.textContent('.messages')).toContain('New ticket CS-1');
    await engineer.getByLabel('Internal note').fill('Root cause: connection pool of 20 is too small for the sale.');
    await engineer.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('internal note was added');
    await engineer.getByLabel('Severity').selectOption('SEV2');
    await engineer.getByRole('button', { name: 'Change severity' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('severity was changed');
    await engineer.getByRole('button', { name: 'Resolve page' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('page was updated');
    await shot(engineer, 'ticket-engineer');
    await vi.waitFor(() => expect(pages().map((event) => `${event.event_action}:${event.dedup_key}`)).toEqual(['trigger:CS-1', 'acknowledge:CS-1', 'resolve:CS-1']), waitLong);
    const shown = await ticketdJson<{ severity: string; messages: Array<{ bodyText: string; visibility: string }> }>(['tickets', 'show', 'CS-1', '--config', configFile, '--json']);
    expect(shown.severity).toBe('SEV2');
    expect(shown.messages.find((message) => message.bodyText.includes('Root cause'))).toMatchObject({ visibility: 'internal' });
    // The note never reached the customer.
    expect(stack.smtp.received.some((mail) => mail.raw.toString().includes('Root cause'))).toBe(false);

    const customer = await newPage();
    await signIn(customer, 'dana@acme.test');
    await customer.goto(`${base}/tickets/CS-1`);
    expect(await customer.textContent('.messages')).not.toContain('Root cause');
    await customer.goto(`${base}/tickets`);
    await shot(customer, 'tickets');
  }, 180_000);

  it('refuses a POST without the form token', async () => {
    const page = await newPage();
    await signIn(page, 'dana@acme.test');
    const response = await page.request.post(`${base}/tickets/CS-1/resolve`, { form: { note: 'no token' }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('This form has expired');
    expect((await ticketdJson<{ status: string }>(['tickets', 'show', 'CS-1', '--config', configFile, '--json'])).status).not.toBe('resolved');
  });

  it('brings someone who opens a link to CS-1 signed out back to CS-1 once signed in', async () => {
    const page = await newPage();
    await page.goto(`${base}/tickets/CS-1`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill('dana@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tickets/CS-1');
    expect(await page.textContent('h1')).toContain('Checkout returns 500 for every order');
  });

  it('finds tickets by ref, subject and text on /tickets, and lists them under Open or Resolved and closed by their status', async () => {
    const page = await newPage();
    await signIn(page, 'dana@acme.test');
    await page.getByRole('link', { name: 'New ticket' }).first().click();
    await page.getByLabel('Subject').fill('Invoice PDF is blank');
    await page.getByLabel('Severity').selectOption('SEV4');
    await page.getByLabel('Description').fill('The November export shows an empty page.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tickets/CS-2');

    const refsFor = async (q: string, show: string) => {
      await page.goto(`${base}/tickets`);
      await page.getByLabel('Search').fill(q);
      await page.getByLabel('Show').selectOption({ label: show });
      await page.getByRole('button', { name: 'Search' }).click();
      // The results page, loaded (not the form page still showing).
      await page.waitForURL((url) => url.searchParams.get('q') === q);
      return page.locator('tbody tr td:first-child').allTextContents();
    };
    expect(await refsFor('', 'Open')).toEqual(['CS-2', 'CS-1']);
    expect(await refsFor('cs-2', 'Open')).toEqual(['CS-2']);
    expect(await refsFor('Checkout returns', 'Open')).toEqual(['CS-1']);
    expect(await refsFor('November export', 'Open')).toEqual(['CS-2']);
    // The engineers' internal note on CS-1 is not searched for a customer.
    expect(await refsFor('Root cause', 'All')).toEqual([]);
    expect(await refsFor('works again since 10:05', 'All')).toEqual(['CS-1']);
    expect(await refsFor('', 'Resolved and closed')).toEqual([]);
    expect(await page.textContent('main')).toContain('No tickets');

    // Resolved on the portal, CS-2 moves from Open to Resolved and closed.
    await page.goto(`${base}/tickets/CS-2`);
    await page.getByRole('button', { name: 'Mark resolved' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('The ticket is marked resolved');
    expect(await refsFor('', 'Open')).toEqual(['CS-1']);
    expect(await refsFor('', 'Resolved and closed')).toEqual(['CS-2']);
    expect(await refsFor('November', 'Resolved and closed')).toEqual(['CS-2']);
  }, 120_000);

  it("lets a customer mark her own ticket resolved, and answers 404 to a colleague's attempt on it", async () => {
    const page = await newPage();
    await signIn(page, 'dana@acme.test');
    await page.getByRole('link', { name: 'New ticket' }).first().click();
    await page.getByLabel('Subject').fill('Report export times out');
    await page.getByLabel('Severity').selectOption('SEV4');
    await page.getByLabel('Description').fill('The yearly report export stops after 60 s.');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/tickets/CS-3');

    // Ron (a colleague, not a manager, not on the ticket) posts a valid form token of his own session.
    const colleague = await newPage();
    await signIn(colleague, 'ron@acme.test');
    await expect.poll(() => colleague.textContent('h1')).toBe('My tickets');
    const token = (await colleague.locator('input[name="_csrf"]').first().getAttribute('value')) as string;
    const attempt = await colleague.request.post(`${base}/tickets/CS-3/resolve`, { form: { _csrf: token }, maxRedirects: 0 });
    expect(attempt.status()).toBe(404);
    expect((await ticketdJson<{ status: string }>(['tickets', 'show', 'CS-3', '--config', configFile, '--json'])).status).toBe('new');

    await page.getByRole('button', { name: 'Mark resolved' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('The ticket is marked resolved. A reply reopens it.');
    expect(await page.locator('.facts').textContent()).toContain('resolved');
    expect(await page.getByRole('button', { name: 'Mark resolved' }).count()).toBe(0);
    const shown = await ticketdJson<{ status: string; messages: Array<{ bodyText: string; visibility: string }> }>(['tickets', 'show', 'CS-3', '--config', configFile, '--json']);
    expect(shown.status).toBe('resolved');
    expect(shown.messages.find((message) => message.bodyText === 'Marked resolved by dana@acme.test on the portal.')).toMatchObject({ visibility: 'internal' });
  }, 120_000);

  it("lets an engineer change a ticket's status and assign it on the ticket page", async () => {
    const engineer = await newPage();
    await signIn(engineer, 'eve@cloudsoft.test');
    await engineer.goto(`${base}/tickets/CS-3`);
    const status = () => engineer.locator('.facts div', { hasText: 'Status' }).locator('dd').textContent();
    expect(await status()).toBe('resolved');

    await engineer.getByLabel('Status', { exact: true }).selectOption('pending');
    await engineer.getByRole('button', { name: 'Change status' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('The status was changed.');
    expect(await status()).toBe('pending');
    expect((await ticketdJson<{ status: string }>(['tickets', 'show', 'CS-3', '--config', configFile, '--json'])).status).toBe('pending');

    await engineer.getByLabel('Assignee').selectOption('eve@cloudsoft.test');
    await engineer.getByRole('button', { name: 'Assign' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('The assignee was changed.');
    expect(await engineer.locator('.facts div', { hasText: 'Assignee' }).locator('dd').textContent()).toBe('eve@cloudsoft.test');

    await engineer.getByLabel('Status', { exact: true }).selectOption('close');
    await engineer.getByRole('button', { name: 'Change status' }).click();
    await expect.poll(() => engineer.textContent('.notice')).toContain('The status was changed.');
    expect(await status()).toBe('closed');
    const shown = await ticketdJson<{ status: string; assignee: string; messages: Array<{ bodyText: string }> }>(['tickets', 'show', 'CS-3', '--config', configFile, '--json']);
    expect(shown).toMatchObject({ status: 'closed', assignee: 'eve@cloudsoft.test' });
    expect(shown.messages.map((message) => message.bodyText).filter((text) => text.includes('on the portal)'))).toEqual([
      'Status changed from resolved to pending. (by eve@cloudsoft.test on the portal)',
      'Assigned to eve@cloudsoft.test. (by eve@cloudsoft.test on the portal)',
      'Status changed from pending to closed. (by eve@cloudsoft.test on the portal)',
    ]);
    await engineer.goto(`${base}/queue`);
    expect(await engineer.textContent('table')).not.toContain('CS-3');

    // The customer sees it closed, with no reply form and no "Mark resolved".
    const customer = await newPage();
    await signIn(customer, 'dana@acme.test');
    await customer.goto(`${base}/tickets/CS-3`);
    expect(await customer.textContent('main')).toContain('This ticket is closed.');
    expect(await customer.getByRole('button', { name: 'Mark resolved' }).count()).toBe(0);
  }, 120_000);

  it("marks mail from outside the requester's organisation on the engineer's page, and keeps it from the customer", async () => {
    // Gina (globex.test) answers Eve's mail on Dana's CS-1: stored, but internal and flagged (issue 15).
    await stack.deliver(
      [
        `Authentication-Results: ${AUTHSERV}; spf=pass smtp.mailfrom=globex.test; dkim=pass header.d=globex.test; dmarc=pass header.from=globex.test`,
        'From: Gina Globex <gina@globex.test>',
        'To: help@cloudsoft.test',
        'Subject: Re: Checkout returns 500 for every order',
        'Message-ID: <gina-1@globex.test>',
        'In-Reply-To: <eve-1@cloudsoft.test>',
        'Date: Wed, 25 Nov 2026 11:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Our <b>checkout</b> broke too & we use the same pool.',
        '',
      ].join('\r\n'),
    );
    await vi.waitFor(async () => {
      const shown = await ticketdJson<{ messages: Array<{ from: string; visibility: string; fromOutsideOrganisation: boolean }> }>(['tickets', 'show', 'CS-1', '--config', configFile, '--json']);
      expect(shown.messages.find((message) => message.from === 'gina@globex.test')).toMatchObject({ visibility: 'internal', fromOutsideOrganisation: true });
    }, waitLong);

    const engineer = await newPage();
    await signIn(engineer, 'eve@cloudsoft.test');
    await engineer.goto(`${base}/tickets/CS-1`);
    const gina = engineer.locator('.messages > li', { hasText: 'we use the same pool' });
    expect(await gina.locator('.meta').textContent()).toContain("internal · from outside the requester's organisation");
    expect(await gina.locator('.body').textContent()).toBe('Our <b>checkout</b> broke too & we use the same pool.');
    expect(await gina.locator('.body b').count()).toBe(0);
    expect(await engineer.locator('.messages > li', { hasText: "from outside the requester's organisation" }).count()).toBe(1);

    const customer = await newPage();
    await signIn(customer, 'dana@acme.test');
    await customer.goto(`${base}/tickets/CS-1`);
    expect(await customer.textContent('.messages')).not.toContain('same pool');
    expect(await customer.textContent('main')).not.toContain('from outside');
  }, 120_000);

  it('throttles an account after ten bad passwords; a reset link sets a new password once, ends the throttle and old sessions', async () => {
    const before = await newPage();
    await signIn(before, 'dana@acme.test');
    await expect.poll(() => before.textContent('h1')).toBe('My tickets');

    const page = await newPage();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await signIn(page, 'dana@acme.test', `wrong password ${attempt}`);
      await expect.poll(() => page.textContent('.error')).toContain('The email or the password is wrong');
    }
    await signIn(page, 'dana@acme.test', PASSWORD);
    await expect.poll(() => page.textContent('.error')).toContain('Too many attempts');

    await page.goto(`${base}/reset`);
    await page.getByLabel('Email').fill('dana@acme.test');
    await page.getByRole('button', { name: 'Send link' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Check your mailbox');
    const resetMail = await mailTo('dana@acme.test', (mail) => mail.parsed.subject === 'Your new password for support');
    const link = linkIn(resetMail, '/reset');
    await page.goto(link);
    await page.getByLabel('Password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('My tickets');

    await page.goto(link);
    expect(await page.textContent('h1')).toBe('This link was already used');
    // The session from before the change is over.
    await before.goto(`${base}/tickets`);
    expect(new URL(before.url()).pathname).toBe('/login');
    await signIn(before, 'dana@acme.test', 'a brand new passphrase');
    await expect.poll(() => before.textContent('h1')).toBe('My tickets');
  }, 180_000);

  it('answers the sign-up form the same for an address that is taken or not approved; the mail says which', async () => {
    const page = await newPage();
    for (const email of ['dana@acme.test', 'zed@unknown-corp.test']) {
      await page.goto(`${base}/register`);
      await page.getByLabel('Name').fill('Someone');
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await expect.poll(() => page.textContent('h1')).toBe('Check your mailbox');
    }
    await mailTo('dana@acme.test', (mail) => mail.parsed.subject === 'Your account at our support desk');
    const refused = await mailTo('zed@unknown-corp.test', (mail) => mail.parsed.subject === 'Your registration at our support desk');
    expect(refused.parsed.text).toContain('unknown-corp.test is not one of them');
    expect(refused.parsed.text).not.toContain('Someone');
  });
});
