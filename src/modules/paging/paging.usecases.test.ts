import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../config/config.schema.js';
import { startHttpReceiver, type HttpReceiver } from '../../devservers/http-receiver.server.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createIntake } from '../intake/intake.usecases.js';
import type { MailSender } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createOutboxWorker } from '../outbox/outbox.worker.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { tickets } from '../tickets/tickets.tables.js';
import { createPagerDutyPager } from '../pager/drivers/pagerduty.pager-driver.js';
import { createWebhookSender } from '../pager/drivers/webhook.pager-driver.js';
import type { PagerEvent } from '../pager/pager.types.js';
import { createPaging } from './paging.usecases.js';
import { verifyWebhookSignature, type WebhookEvent } from '../pager/webhook.models.js';

const WEDNESDAY_10_BERLIN = new Date('2026-11-25T09:00:00Z');
const SATURDAY_NOON = new Date('2026-11-28T11:00:00Z');

function mail({ from = 'alice@acme.test', subject, id }: { from?: string; subject: string; id: string }): Buffer {
  return Buffer.from(
    [`From: Alice <${from}>`, 'To: help@cloudsoft.test', `Subject: ${subject}`, `Message-ID: <${id}@mail.acme.test>`, 'Date: Wed, 25 Nov 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', 'Please help.', ''].join('\r\n'),
  );
}

function testConfig(receiver: HttpReceiver, overrides: { pager?: Partial<Config['pager']>; webhook?: Partial<Config['webhook']>; paging?: Partial<Config['paging']> } = {}): Config {
  return configSchema.parse({
    database: { path: ':memory:' },
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    // Registration and sender authenticity have their own tests (intake.registration.test.ts).
    support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test', 'globex.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
    security: { senderAuth: 'off' },
    pager: { kind: 'pagerduty', url: `${receiver.url}/v2/enqueue`, routingKey: 'default-key', ...overrides.pager },
    webhook: { url: '', secret: 'hook-secret', ...overrides.webhook },
    paging: { timezone: 'Europe/Berlin', ...overrides.paging },
    http: { publicUrl: 'https://support.cloudsoft.test' },
  });
}

const noMail: MailSender = { send: async () => ({ response: '250 ok' }), verify: async () => undefined, close: () => undefined };

describe('paging lifecycle through the outbox', () => {
  let receiver: HttpReceiver;
  let db: Db;
  let now: Date;
  const clock: Clock = { now: () => now };

  beforeAll(async () => {
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    if (db) await db.close();
  });
  beforeEach(async () => {
    receiver.clear();
    receiver.setResponder(undefined);
    if (db) await db.close();
    db = await openTestDatabase();
    now = WEDNESDAY_10_BERLIN;
  });

  function setup(config: Config) {
    const intake = createIntake({ db, config, clock, ...temporaryStores() });
    const paging = createPaging({ db, config, clock });
    const outbox = createOutboxRepository({ db });
    const webhook = config.webhook.url ? createWebhookSender({ url: config.webhook.url, secret: config.webhook.secret, clock }) : undefined;
    const worker = createOutboxWorker({ repository: outbox, mailSender: noMail, pager: createPagerDutyPager({ url: config.pager.url }), webhook, clock, maxAttempts: 3, maxAgeMs: 86_400_000, pollMs: 1000 });
    const ticket = async (ref: string) => {
      const row = await createTicketsRepository({ db }).findByRef(ref);
      if (!row) throw new Error(`no ticket ${ref}`);
      return row;
    };
    return { intake, paging, outbox, worker, ticket };
  }

  it('acknowledge and resolve reach the receiver with the dedup_key and routing key of the trigger', async () => {
    const { intake, paging, worker, ticket } = setup(testConfig(receiver));
    const { ticketRef } = await intake.ingestRaw({ raw: mail({ subject: '[SEV1] API down', id: 'a1' }), source: 'test' });
    await worker.runOnce();
    await db.transaction(async () => paging.enqueueAcknowledge(await ticket(ticketRef ?? '')));
    await worker.runOnce();
    await db.transaction(async () => paging.enqueueResolve(await ticket(ticketRef ?? '')));
    await worker.runOnce();

    const events = (await receiver.waitFor(3)).map((request) => request.body as PagerEvent);
    expect(events.map((event) => [event.event_action, event.dedup_key, event.routing_key])).toEqual([
      ['trigger', 'CS-1', 'default-key'],
      ['acknowledge', 'CS-1', 'default-key'],
      ['resolve', 'CS-1', 'default-key'],
    ]);
    expect(receiver.requests.every((request) => request.status === 202)).toBe(true);
    expect(events[0]?.links).toEqual([{ href: 'https://support.cloudsoft.test/tickets/CS-1', text: 'Ticket CS-1' }]);
    expect(JSON.stringify(events[0]?.payload?.custom_details)).not.toContain('Please help');
  });

  it('sends the page before the confirmation queued with it, so a slow mail server does not hold the page up', async () => {
    const config = testConfig(receiver);
    const intake = createIntake({ db, config, clock, ...temporaryStores() });
    const sent: Array<{ to: string; startedAt: number }> = [];
    const slowMail: MailSender = {
      ...noMail,
      send: async (mail) => {
        sent.push({ to: String(mail.to), startedAt: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { response: '250 ok' };
      },
    };
    const worker = createOutboxWorker({ repository: createOutboxRepository({ db }), mailSender: slowMail, pager: createPagerDutyPager({ url: config.pager.url }), clock, maxAttempts: 3, maxAgeMs: 86_400_000, pollMs: 1000 });
    const { ticketRef } = await intake.ingestRaw({ raw: mail({ subject: '[SEV1] API down', id: 'p1' }), source: 'test' });
    // The confirmation was queued first (lower id), in the same commit as the page.
    const queued = await createOutboxRepository({ db }).list();
    expect(queued.map((item) => item.kind).slice(0, 2)).toEqual(['email', 'page']);

    expect(await worker.runOnce()).toBeGreaterThanOrEqual(2);
    const [page] = await receiver.waitFor(1);
    expect((page?.body as PagerEvent).dedup_key).toBe(ticketRef);
    expect(sent.some((mail) => mail.to.includes('alice@acme.test'))).toBe(true);
    // The page had reached the receiver before the first mail was even started.
    expect(page?.receivedAt.getTime()).toBeLessThanOrEqual(Math.min(...sent.map((mail) => mail.startedAt)));
  });

  it('enqueues acknowledge and resolve once per alert, however often they are called', async () => {
    const { intake, paging, outbox, ticket } = setup(testConfig(receiver));
    await intake.ingestRaw({ raw: mail({ subject: '[SEV2] slow', id: 'a2' }), source: 'test' });
    for (let i = 0; i < 3; i += 1) {
      await paging.enqueueAcknowledge(await ticket('CS-1'));
      await paging.enqueueResolve(await ticket('CS-1'));
    }
    expect((await outbox.list()).filter((row) => row.kind === 'page').map((row) => row.effectKey)).toEqual(['page:CS-1:trigger:SEV2', 'page:CS-1:acknowledge:2', 'page:CS-1:resolve:2']);
  });

  it('routes by organisation first, then severity, then the default key, and keeps the first key for later events', async () => {
    const { intake, paging, outbox, ticket } = setup(testConfig(receiver, { pager: { severityRoutingKeys: { SEV1: 'sev1-key' }, organisationRoutingKeys: { 'globex.test': 'globex-key' } } }));
    await intake.ingestRaw({ raw: mail({ subject: '[SEV1] down', id: 'r1' }), source: 'test' });
    await intake.ingestRaw({ raw: mail({ from: 'bob@globex.test', subject: '[SEV1] down', id: 'r2' }), source: 'test' });
    await intake.ingestRaw({ raw: mail({ subject: '[SEV2] slow', id: 'r3' }), source: 'test' });
    const t = db.tables({ tickets });
    await db.transaction(async () => {
      await db.update(t.tickets).set({ severity: 'SEV1' }).where(eq(t.tickets.ref, 'CS-3'));
    });
    await paging.enqueueSeverityRaise(await ticket('CS-3'));
    await paging.enqueueResolve(await ticket('CS-3'));

    const pages = (await outbox.list()).filter((row) => row.payload.kind === 'page').map((row) => row.payload.kind === 'page' && [row.effectKey, row.payload.event.routing_key, row.payload.event.payload?.severity ?? '-']);
    expect(pages).toEqual([
      ['page:CS-1:trigger:SEV1', 'sev1-key', 'critical'],
      ['page:CS-2:trigger:SEV1', 'globex-key', 'critical'],
      ['page:CS-3:trigger:SEV2', 'default-key', 'error'],
      // The raise re-triggers CS-3 with the new severity on the key of its first trigger, not the SEV1 key.
      ['page:CS-3:trigger:SEV1', 'default-key', 'critical'],
      // Keyed by the outbox id of the latest trigger (7: three confirmations and four triggers so far).
      ['page:CS-3:resolve:7', 'default-key', '-'],
    ]);
  });

  it('queues a SEV3 raised on a Saturday until Monday 09:00 Berlin and lets a resolve wait behind it', async () => {
    now = SATURDAY_NOON;
    const { intake, paging, outbox, worker, ticket } = setup(testConfig(receiver));
    await intake.ingestRaw({ raw: mail({ subject: 'Staging images fail', id: 's3' }), source: 'test' });
    await paging.enqueueResolve(await ticket('CS-1'));
    await worker.runOnce();

    const pages = (await outbox.list()).filter((row) => row.kind === 'page');
    expect(pages.map((row) => [row.effectKey, row.nextAttemptAt.toISOString(), row.status])).toEqual([
      ['page:CS-1:trigger:SEV3', '2026-11-30T08:00:00.000Z', 'pending'],
      ['page:CS-1:resolve:2', '2026-11-30T08:00:00.000Z', 'pending'],
    ]);
    expect(receiver.requests).toHaveLength(0);
    // The confirmation is not deferred: only pages follow the policy.
    expect((await outbox.list()).find((row) => row.kind === 'email')?.status).toBe('sent');

    now = new Date('2026-11-30T08:00:00Z');
    await worker.runOnce();
    expect((await receiver.waitFor(2)).map((request) => (request.body as PagerEvent).event_action)).toEqual(['trigger', 'resolve']);
  });

  it('pages nobody for a severity whose policy is never, and so acknowledges nothing', async () => {
    const { intake, paging, outbox, ticket } = setup(testConfig(receiver, { paging: { policy: { SEV1: 'always', SEV2: 'always', SEV3: 'business-hours', SEV4: 'never' } } }));
    await intake.ingestRaw({ raw: mail({ subject: 'SEV4 question', id: 'n4' }), source: 'test' });
    await paging.enqueueAcknowledge(await ticket('CS-1'));
    expect((await outbox.list()).map((row) => row.kind)).toEqual(['email']);
  });

  it('sends signed webhook events besides PagerDuty: created, acknowledged, resolved, verifiable with the documented recipe', async () => {
    const config = testConfig(receiver, { webhook: { url: `${receiver.url}/hooks/ticketd` } });
    const { intake, paging, worker, ticket } = setup(config);
    await intake.ingestRaw({ raw: mail({ subject: '[SEV1] down', id: 'w1' }), source: 'test' });
    await paging.enqueueAcknowledge(await ticket('CS-1'));
    await paging.enqueueResolve(await ticket('CS-1'));
    await worker.runOnce();

    const hooks = (await receiver.waitFor(6)).filter((request) => request.path === '/hooks/ticketd');
    expect(hooks.map((request) => (request.body as WebhookEvent).type)).toEqual(['ticket.created', 'ticket.acknowledged', 'ticket.resolved']);
    for (const request of hooks) {
      expect(verifyWebhookSignature({ secret: 'hook-secret', header: String(request.headers['x-ticketd-signature']), body: request.rawBody, now })).toBe(true);
    }
    expect(hooks[0]?.body).toMatchObject({ id: 'hook:CS-1:ticket.created', ticket: { ref: 'CS-1', severity: 'SEV1', organisation: 'acme.test', url: 'https://support.cloudsoft.test/tickets/CS-1' } });
    const pages = receiver.requests.filter((request) => request.path === '/v2/enqueue').map((request) => (request.body as PagerEvent).event_action);
    expect(pages).toEqual(['trigger', 'acknowledge', 'resolve']);
  });

  it('with pager.kind webhook sends webhook events only', async () => {
    const { intake, outbox } = setup(testConfig(receiver, { pager: { kind: 'webhook' }, webhook: { url: `${receiver.url}/hooks` } }));
    await intake.ingestRaw({ raw: mail({ subject: '[SEV1] down', id: 'k1' }), source: 'test' });
    expect((await outbox.list()).map((row) => row.kind)).toEqual(['email', 'webhook']);
  });

  it('states the response target of the customer SLA in the confirmation', async () => {
    const config = testConfig(receiver);
    config.sla.organisations = { 'globex.test': { firstResponse: { SEV1: '15m' } } };
    const { intake, outbox } = setup(config);
    await intake.ingestRaw({ raw: mail({ subject: '[SEV1] down', id: 'c1' }), source: 'test' });
    await intake.ingestRaw({ raw: mail({ from: 'bob@globex.test', subject: '[SEV1] down', id: 'c2' }), source: 'test' });
    await intake.ingestRaw({ raw: mail({ subject: 'SEV4 how to', id: 'c3' }), source: 'test' });
    const texts = (await outbox.list()).flatMap((row) => (row.payload.kind === 'email' ? [row.payload.mail.text] : []));
    expect(texts[0]).toContain('an engineer will respond within 30 minutes');
    expect(texts[1]).toContain('an engineer will respond within 15 minutes');
    expect(texts[2]).toContain('an engineer will respond within 2 business days');
  });
});
