import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../src/app/metrics.js';
import { configSchema } from '../src/config/config.schema.js';
import { startHttpReceiver, type HttpReceiver } from '../src/devservers/http-receiver.server.js';
import { createCustomersRepository } from '../src/modules/customers/customers.repository.js';
import { seedCustomerDomains } from '../src/modules/customers/customers.usecases.js';
import { createInboundLogRepository } from '../src/modules/inbound-log/inbound-log.repository.js';
import { createIntake } from '../src/modules/intake/intake.usecases.js';
import { createSenderAuth } from '../src/modules/intake/sender-auth.usecases.js';
import { createOutboxRepository } from '../src/modules/outbox/outbox.repository.js';
import { createOutboxWorker } from '../src/modules/outbox/outbox.worker.js';
import { createWebhookSender } from '../src/modules/pager/drivers/webhook.pager-driver.js';
import { verifyWebhookSignature, type WebhookEvent } from '../src/modules/pager/webhook.models.js';
import { createTicketsRepository } from '../src/modules/tickets/tickets.repository.js';
import { temporaryStores } from './support/stores.js';
import { openTestDatabase } from './support/test-database.js';

/**
 * Hostile mail against the intake (issue 14), classes 1, 2, 3, 4 and 6 and the flood guard, each with mail
 * built here. The intake runs on a fresh database of the run's dialect with the real migrations; what it decided
 * is read back from the stored outcome, the ticket, the outbox (mail and pages it would send) and the customers.
 */
const OURS = 'mx.cloudsoft.test';
const baseConfig = {
  database: { path: ':memory:' },
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', name: 'Cloudsoft Support', customerDomains: ['acme.test', 'globex.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: true },
  pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'k' },
  http: { publicUrl: 'https://support.cloudsoft.test' },
  security: { senderAuth: 'authres', authservId: OURS, replyTokenSecret: 'test-secret' },
};

async function setup(
  overrides: { security?: Record<string, unknown>; limits?: Record<string, unknown>; pager?: Record<string, unknown>; webhook?: Record<string, unknown>; resolver?: (name: string, type: string) => Promise<string[][]> } = {},
) {
  const config = configSchema.parse({
    ...baseConfig,
    security: { ...baseConfig.security, ...overrides.security },
    limits: overrides.limits ?? {},
    ...(overrides.pager ? { pager: overrides.pager } : {}),
    ...(overrides.webhook ? { webhook: overrides.webhook } : {}),
  });
  const db = await openTestDatabase();
  const at = new Date('2026-11-25T09:00:00Z');
  let now = at;
  await seedCustomerDomains({ db, domains: config.support.customerDomains, at });
  const customers = createCustomersRepository({ db });
  for (const email of ['alice@acme.test', 'carol@globex.test']) await customers.upsertUser({ email, name: '', status: 'verified', at });
  const senderAuth = createSenderAuth({ security: config.security, ...(overrides.resolver ? { resolver: overrides.resolver } : {}) });
  const intake = createIntake({ db, config, clock: { now: () => now }, senderAuth, ...temporaryStores() });
  const outbox = createOutboxRepository({ db });
  return {
    db,
    intake,
    customers,
    tickets: createTicketsRepository({ db }),
    inboundLog: createInboundLogRepository({ db }),
    outbox,
    ingest: (raw: string | Buffer) => intake.ingestRaw({ raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw), source: 'file' }),
    pages: async () => (await outbox.list()).filter((item) => item.kind === 'page'),
    mails: async () => (await outbox.list()).flatMap((item) => (item.payload.kind === 'email' ? [item.payload.mail] : [])),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    clock: { now: () => now },
  };
}

/** A mail as our receiving MTA would store it: its Authentication-Results on top, then the sender's headers. */
function mail({ from, subject = 'Printer on fire', id, authres, headers = [], body = 'It burns.' }: { from: string; subject?: string; id: string; authres?: string; headers?: string[]; body?: string }): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? '';
  return [`Authentication-Results: ${authres ?? `${OURS}; dmarc=pass header.from=${domain}`}`, `From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${id}>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', ...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

describe('class 1: the identity is the one From mailbox DMARC authenticated', () => {
  it('quarantines a From holding a group or several mailboxes although DMARC passed for the attacker\'s domain', async () => {
    const { ingest, tickets, pages, mails } = await setup();
    const group = await ingest(mail({ from: 'Acme: alice@acme.test;, attacker@evil.test', subject: 'SEV1 pay now', id: 'g1@evil.test', authres: `${OURS}; dmarc=pass header.from=evil.test` }));
    const two = await ingest(mail({ from: 'alice@acme.test, attacker@evil.test', subject: 'SEV1 pay now', id: 'g2@evil.test', authres: `${OURS}; dmarc=pass header.from=evil.test` }));
    // Our parsers read alice here; the receiving server's DMARC evaluated evil.test: the readings disagree.
    const misread = await ingest(mail({ from: '<alice@acme.test>attacker@evil.test', subject: 'SEV1 pay now', id: 'g3@evil.test', authres: `${OURS}; dmarc=pass header.from=evil.test` }));
    expect(group).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: the From header holds a group' });
    expect(two).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: the From header holds 2 mailboxes' });
    expect(misread).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: DMARC passed for evil.test, not the From domain acme.test' });
    expect(await tickets.listTickets()).toEqual([]);
    expect(await pages()).toEqual([]);
    expect(await mails()).toEqual([]);
  });

  it('in verify mode refuses a group From whose attacker mailbox carries a valid DKIM signature and DMARC pass', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const zone: Record<string, string[][]> = {
      's1._domainkey.evil.test': [[`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]],
      '_dmarc.evil.test': [['v=DMARC1; p=reject']],
      '_dmarc.acme.test': [['v=DMARC1; p=reject']],
    };
    const resolver = async (name: string, type: string) => {
      const records = type === 'TXT' ? zone[name.toLowerCase()] : undefined;
      if (records) return records;
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    const { ingest, tickets, pages } = await setup({ security: { senderAuth: 'verify' }, resolver });
    const raw = Buffer.from(['From: Acme: alice@acme.test;, attacker@evil.test', 'To: help@cloudsoft.test', 'Subject: SEV1 production down', 'Message-ID: <v1@evil.test>', 'Date: Wed, 25 Nov 2026 09:00:00 +0000', '', 'Page them.', ''].join('\r\n'));
    const options = { signatureData: [{ signingDomain: 'evil.test', selector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }] };
    const signed = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
    const result = await ingest(Buffer.concat([Buffer.from(signed.signatures), raw]));
    expect(result).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: the From header holds a group' });
    expect(await tickets.listTickets()).toEqual([]);
    expect(await pages()).toEqual([]);
  });

  it('in verify mode checks SPF for our server\'s topmost Return-Path, not for one the sender added further down', async () => {
    const zone: Record<string, string[][]> = { 'acme.test': [['v=spf1 ip4:192.0.2.7 -all']], '_dmarc.acme.test': [['v=DMARC1; p=reject']] };
    const resolver = async (name: string, type: string) => {
      const records = type === 'TXT' ? zone[name.toLowerCase()] : undefined;
      if (records) return records;
      throw Object.assign(new Error(`query${type} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    const { ingest, tickets } = await setup({ security: { senderAuth: 'verify' }, resolver });
    // The client at 192.0.2.7 (a shared provider acme.test's SPF allows) gave MAIL FROM:<x@evil.test>.
    const raw = [
      'Return-Path: <x@evil.test>',
      'Received: from out.shared.test (out.shared.test [192.0.2.7]) by mx.cloudsoft.test with ESMTPS id 1; Wed, 25 Nov 2026 09:00:00 +0000',
      'From: ceo@acme.test',
      'Return-Path: <ceo@acme.test>',
      'To: help@cloudsoft.test',
      'Subject: SEV1 wire the money',
      'Message-ID: <rp1@evil.test>',
      'Date: Wed, 25 Nov 2026 09:00:00 +0000',
      '',
      'Now.',
      '',
    ].join('\r\n');
    const result = await ingest(raw);
    expect(result).toMatchObject({ outcome: 'quarantined' });
    expect(result.reason).toMatch(/^sender-not-authenticated: dmarc=fail/);
    expect(await tickets.listTickets()).toEqual([]);
  });

  it('holds an engineer to the same rule: a group From naming an engineer neither resolves the ticket nor reaches the customer', async () => {
    const { ingest, tickets, outbox } = await setup();
    const opened = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV2 export broken', id: 'c1@acme.test' }));
    expect(opened.outcome).toBe('ticket');
    const queued = (await outbox.list()).length;
    const forged = await ingest(
      mail({ from: 'Support: eve@cloudsoft.test;, attacker@evil.test', subject: `Re: [${opened.ticketRef}] SEV2 export broken`, id: 'e1@evil.test', authres: `${OURS}; dmarc=pass header.from=evil.test`, headers: ['In-Reply-To: <c1@acme.test>'], body: 'Fixed, visit https://evil.test/login\n#resolve' }),
    );
    expect(forged).toMatchObject({ outcome: 'quarantined', reason: 'sender-not-authenticated: the From header holds a group' });
    expect((await tickets.listTickets())[0]?.status).toBe('new');
    expect(await outbox.list()).toHaveLength(queued);
  });
});

describe('class 2: automatic mail touches a ticket only when it answers mail we sent', () => {
  /** A delivery report for `recipient`, returning the headers of the mail with `returnedId`. */
  const dsn = ({ id, subject, returnedId, recipient }: { id: string; subject: string; returnedId: string; recipient: string }) =>
    [
      'From: Mail Delivery System <mailer-daemon@mx.evil.test>',
      'To: help@cloudsoft.test',
      `Subject: ${subject}`,
      `Message-ID: <${id}>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: text/plain',
      '',
      'Delivery failed. Evidence attached: https://evil.test/x',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.evil.test',
      '',
      `Final-Recipient: rfc822; ${recipient}`,
      'Action: failed',
      'Status: 5.1.1',
      '--r',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: <${returnedId}>`,
      'Subject: whatever',
      '--r--',
      '',
    ].join('\r\n');

  it('keeps an outsider\'s auto-reply and fake bounce naming a guessed ref or the customer\'s own id off the ticket and the customer\'s status', async () => {
    const { ingest, tickets, customers } = await setup();
    const opened = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV3 reports slow', id: 'c2@acme.test' }));
    const ticketId = (await tickets.listTickets())[0]?.id as number;
    const before = (await tickets.listMessages(ticketId)).length;
    const autoReply = [
      'From: bot@evil.test',
      'To: help@cloudsoft.test',
      `Subject: Automatic reply: [${opened.ticketRef}] SEV3 reports slow`,
      'Message-ID: <ar1@evil.test>',
      'Auto-Submitted: auto-replied',
      'In-Reply-To: <c2@acme.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: text/plain',
      '',
      'Click https://evil.test/invoice',
      '--m',
      'Content-Type: application/octet-stream; name="invoice.exe"',
      'Content-Disposition: attachment; filename="invoice.exe"',
      '',
      'MZ...',
      '--m--',
      '',
    ].join('\r\n');
    expect(await ingest(autoReply)).toMatchObject({ outcome: 'auto-reply', ticketRef: undefined });
    expect(await ingest(dsn({ id: 'b1@evil.test', subject: `Undeliverable: [${opened.ticketRef}]`, returnedId: 'c2@acme.test', recipient: 'alice@acme.test' }))).toMatchObject({ outcome: 'bounce', ticketRef: undefined });
    expect(await tickets.listMessages(ticketId)).toHaveLength(before);
    expect(await customers.isBouncing('alice@acme.test')).toBe(false);
  });

  it('records a bounce that returns our confirmation on its ticket, and marks only the recipient it names as bouncing', async () => {
    const { ingest, tickets, customers, mails } = await setup();
    const opened = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV3 reports slow', id: 'c3@acme.test' }));
    const confirmation = (await mails()).find((item) => item.to.includes('alice@acme.test'));
    expect(confirmation).toBeDefined();
    const bounce = await ingest(dsn({ id: 'b2@mx.acme.test', subject: 'Undelivered Mail Returned to Sender', returnedId: confirmation?.messageId ?? '', recipient: 'alice@acme.test' }));
    expect(bounce).toMatchObject({ outcome: 'bounce', ticketRef: opened.ticketRef });
    expect((await tickets.listMessages((await tickets.listTickets())[0]?.id as number)).some((row) => row.messageId === 'b2@mx.acme.test')).toBe(true);
    expect(await customers.isBouncing('alice@acme.test')).toBe(true);
  });
});

describe('class 3: a repeated single-instance header is quarantined, never read one way by us and another by DKIM', () => {
  it('quarantines an unsigned Subject, Message-ID, In-Reply-To or From put above the signed ones', async () => {
    const { ingest, tickets, pages } = await setup();
    const first = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV3 question', id: 'c4@acme.test' }));
    expect(first.outcome).toBe('ticket');
    const signed = mail({ from: 'carol@globex.test', subject: 'SEV4 typo', id: 'c5@globex.test', headers: ['In-Reply-To: <earlier@globex.test>'] });
    const [authres, ...rest] = signed.split('\r\n');
    const inject = (header: string) => [authres, header, ...rest].join('\r\n');
    const results = [
      await ingest(inject('Subject: SEV1 everything is down')),
      await ingest(inject('Message-ID: <replay-1@globex.test>')),
      await ingest(inject('In-Reply-To: <c4@acme.test>')),
      await ingest(inject('From: carol@globex.test')),
    ];
    expect(results.map((result) => [result.outcome, result.reason])).toEqual([
      ['quarantined', 'malformed-headers: 2 Subject'],
      ['quarantined', 'malformed-headers: 2 Message-ID'],
      ['quarantined', 'malformed-headers: 2 In-Reply-To'],
      ['quarantined', 'malformed-headers: 2 From'],
    ]);
    expect(await tickets.listTickets()).toHaveLength(1);
    expect(await pages()).toHaveLength(1);
  });
});

describe('class 4: Authentication-Results read by its grammar, every dmarc result considered', () => {
  it('quarantines a ";" smuggled in a quoted value, a second dmarc result, and a pass without header.from', async () => {
    const { ingest, tickets } = await setup();
    const attempts = [
      `${OURS}; dmarc=fail reason="x; dmarc=pass header.from=acme.test" header.from=acme.test`,
      `${OURS}; dmarc=pass header.from=acme.test; dmarc=fail header.from=acme.test`,
      `${OURS}; dmarc=pass`,
      `${OURS}; dkim=pass header.d=acme.test`,
    ];
    const results = [];
    for (const [index, authres] of attempts.entries()) results.push(await ingest(mail({ from: 'alice@acme.test', subject: 'SEV1 forged', id: `f${index}@evil.test`, authres })));
    expect(results.map((result) => result.outcome)).toEqual(['quarantined', 'quarantined', 'quarantined', 'quarantined']);
    for (const result of results) expect(result.reason).toMatch(/^sender-not-authenticated: /);
    expect(await tickets.listTickets()).toEqual([]);
  });
});

describe('class 6: mail we send to an unproven address carries nothing its sender wrote', () => {
  it('answers an outsider and an unregistered customer without their display name, subject, links or domain', async () => {
    const { ingest, mails } = await setup();
    await ingest(mail({ from: '"Win at https://prize.evil.test" <victim@prize-evil.test>', subject: 'Claim https://prize.evil.test/now', id: 'o1@prize-evil.test', authres: `${OURS}; dmarc=none`, body: 'https://prize.evil.test' }));
    await ingest(mail({ from: '"Bob www.phish.test" <bob@acme.test>', subject: 'Open http://phish.test', id: 'o2@acme.test' }));
    const [refusal, invite] = await mails();
    expect(refusal?.to).toEqual(['victim@prize-evil.test']);
    expect(invite?.to).toEqual(['bob@acme.test']);
    for (const sent of [refusal, invite]) {
      const everything = [sent?.subject, sent?.text, sent?.html].join('\n');
      expect(everything).not.toMatch(/prize|phish|Win at|Claim|Open http/i);
      expect(sent?.subject).toMatch(/^Your message to Cloudsoft Support/);
    }
    expect(refusal?.inReplyTo).toBe('o1@prize-evil.test');
    expect(invite?.text).toContain('https://support.cloudsoft.test/register?email=bob%40acme.test');
  });
});

describe('the flood guard does not silently eat a real emergency', () => {
  it('pages an authenticated customer\'s SEV1 past the guard once an hour, marked as a flood, and shows the held mail', async () => {
    const { ingest, pages, inboundLog, db, advance } = await setup({ limits: { newTicketsPerHour: 2 } });
    for (const n of [1, 2, 3]) await ingest(mail({ from: 'alice@acme.test', subject: `SEV3 flood ${n}`, id: `fl${n}@acme.test` }));
    const sev1 = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV1 checkout down', id: 'fl4@acme.test' }));
    const sev1again = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV1 still down', id: 'fl5@acme.test' }));
    expect([sev1.outcome, sev1again.outcome]).toEqual(['quarantined', 'quarantined']);
    expect(sev1.reason).toMatch(/^flood-guard/);
    const flood = (await pages()).filter((item) => item.payload.kind === 'page' && item.payload.event.dedup_key === 'flood/alice@acme.test');
    expect(flood).toHaveLength(1);
    const event = flood[0]?.payload.kind === 'page' ? flood[0].payload.event : undefined;
    expect(event?.payload?.summary).toMatch(/^\[flood\] SEV1 from alice@acme\.test/);
    expect(event?.payload).toMatchObject({ severity: 'critical', class: 'flood', custom_details: { flood: true, inboundId: sev1.inboundId } });
    expect(JSON.stringify(event)).not.toContain('checkout');
    advance(61 * 60_000);
    await ingest(mail({ from: 'alice@acme.test', subject: 'SEV3 after the hour', id: 'fl6@acme.test' }));
    expect((await inboundLog.listQuarantined()).map((row) => row.subject)).toEqual(['SEV1 still down', 'SEV1 checkout down', 'SEV3 flood 3']);
    const metrics = await createMetrics({ db, processMetrics: false }).render();
    expect(metrics).toContain('ticketd_quarantined_messages{reason="flood-guard"} 3');
  });

  describe('on the generic webhook', () => {
    let receiver: HttpReceiver;
    beforeAll(async () => {
      receiver = await startHttpReceiver();
      // A webhook receiver answers 2xx; the default answer is PagerDuty's, which refuses a body not its own.
      receiver.setResponder(() => ({ status: 204 }));
    });
    afterAll(() => receiver.close());

    it('delivers the held SEV1 as a signed flood.sev1_held event naming sender, organisation and inbound id, without its words', async () => {
      const { ingest, outbox, clock } = await setup({ limits: { newTicketsPerHour: 2 }, pager: { kind: 'webhook' }, webhook: { url: `${receiver.url}/hooks/ticketd`, secret: 'flood-secret' } });
      for (const n of [1, 2, 3]) await ingest(mail({ from: 'alice@acme.test', subject: `SEV3 flood ${n}`, id: `fw${n}@acme.test` }));
      const sev1 = await ingest(mail({ from: 'alice@acme.test', subject: 'SEV1 checkout down', id: 'fw4@acme.test', body: 'Checkout returns 500 for every basket.' }));
      await ingest(mail({ from: 'alice@acme.test', subject: 'SEV1 still down', id: 'fw5@acme.test' }));
      expect(sev1.outcome).toBe('quarantined');

      // The outbox worker the daemon runs, posting to the local receiver; the mails it would send go nowhere.
      const worker = createOutboxWorker({
        repository: outbox,
        mailSender: { send: () => Promise.resolve({ response: '250 OK' }), verify: () => Promise.resolve(), close: () => undefined },
        pager: undefined,
        webhook: createWebhookSender({ url: `${receiver.url}/hooks/ticketd`, secret: 'flood-secret', clock }),
        clock,
        maxAttempts: 1,
        maxAgeMs: 60_000,
        pollMs: 1000,
      });
      await worker.runOnce();

      const flood = receiver.requests.filter((request) => request.headers['x-ticketd-event'] === 'flood.sev1_held');
      expect(flood).toHaveLength(1);
      const [request] = flood;
      expect(request?.path).toBe('/hooks/ticketd');
      expect(verifyWebhookSignature({ secret: 'flood-secret', header: String(request?.headers['x-ticketd-signature']), body: request?.rawBody ?? '', now: clock.now() })).toBe(true);
      expect(request?.body).toEqual({
        id: `hook:flood:alice@acme.test:${sev1.inboundId}`,
        type: 'flood.sev1_held',
        occurredAt: '2026-11-25T09:00:00.000Z',
        flood: { sender: 'alice@acme.test', organisation: 'acme.test', inboundId: sev1.inboundId },
      } satisfies WebhookEvent);
      expect(request?.headers['x-ticketd-event-id']).toBe(`hook:flood:alice@acme.test:${sev1.inboundId}`);
      expect(request?.rawBody).not.toMatch(/checkout|basket/i);
      expect((await outbox.list()).filter((item) => item.payload.kind === 'webhook' && item.payload.event.type === 'flood.sev1_held').map((item) => item.status)).toEqual(['sent']);
    });
  });
});
