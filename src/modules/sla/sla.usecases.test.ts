import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../config/config.schema.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { tickets } from '../tickets/tickets.tables.js';
import { slaEvents } from './sla.tables.js';
import { createSlaChecker } from './sla.usecases.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

const CREATED = new Date('2026-11-25T09:00:00Z'); // Wednesday 10:00 in Berlin
const minutesAfter = (minutes: number) => new Date(CREATED.getTime() + minutes * 60_000);

function config(overrides: Partial<Config['pager']> = {}): Config {
  return configSchema.parse({
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'] },
    pager: { kind: 'pagerduty', routingKey: 'default-key', ...overrides },
    webhook: { url: 'http://127.0.0.1:9/hooks', secret: 's' },
    paging: { timezone: 'Europe/Berlin' },
  });
}

describe('the SLA check of open tickets', () => {
  let db: Db;
  let now: Date;
  const clock: Clock = { now: () => now };

  beforeEach(async () => {
    db = await openTestDatabase();
    now = CREATED;
  });
  afterEach(async () => db.close());

  /** The SLA events recorded so far, in the order they were recorded. */
  const slaEventRows = async () => {
    const t = db.tables({ slaEvents });
    return db.select().from(t.slaEvents).orderBy(asc(t.slaEvents.id));
  };

  async function openTicket(severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4', cfg: Config, requesterEmail = 'alice@acme.test') {
    const ticket = await createTicketsRepository({ db }).insertTicket({
      prefix: 'CS',
      ticket: { subject: 'API down', severity, priority: 'Urgent', status: 'new', requesterEmail, requesterName: 'Alice', createdAt: CREATED, updatedAt: CREATED },
    });
    await createPaging({ db, config: cfg, clock }).enqueueCreated(ticket, CREATED);
    return ticket;
  }

  const effects = async () => (await createOutboxRepository({ db }).list()).map((row) => row.effectKey);

  it('warns once at 80 % of a SEV1 first-response target and escalates once at the breach', async () => {
    const cfg = config({ escalationRoutingKey: 'escalation-key' });
    await openTicket('SEV1', cfg);
    const checker = createSlaChecker({ db, config: cfg, clock, engineerNotify: ['oncall@cloudsoft.test'] });

    now = minutesAfter(23);
    expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });
    now = minutesAfter(24);
    expect(await checker.checkOnce()).toEqual({ checked: 1, warned: ['CS-1'], breached: [] });
    now = minutesAfter(29);
    expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });
    now = minutesAfter(30);
    expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: ['CS-1'] });
    now = minutesAfter(90);
    expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });

    expect(await effects()).toEqual([
      'page:CS-1:trigger:SEV1',
      'hook:CS-1:ticket.created',
      'hook:CS-1:ticket.sla_warning',
      'mail:CS-1:sla-warning',
      'page:CS-1/sla:trigger:SEV1',
      'hook:CS-1:ticket.escalated:sla',
    ]);
    const rows = await createOutboxRepository({ db }).list();
    const escalation = rows.find((row) => row.effectKey === 'page:CS-1/sla:trigger:SEV1')?.payload;
    expect(escalation).toMatchObject({ kind: 'page', event: { routing_key: 'escalation-key', dedup_key: 'CS-1/sla', event_action: 'trigger', payload: { severity: 'critical' } } });
    const warningMail = rows.find((row) => row.effectKey === 'mail:CS-1:sla-warning')?.payload;
    expect(warningMail).toMatchObject({ kind: 'email', mail: { to: ['oncall@cloudsoft.test'] } });
    expect((await slaEventRows()).map((event) => [event.kind, event.dueAt.toISOString()])).toEqual([
      ['warning', '2026-11-25T09:30:00.000Z'],
      ['breach', '2026-11-25T09:30:00.000Z'],
    ]);
  });

  it('escalates a SEV3 one step higher, on the ticket routing key without an escalation key, after 8 business hours', async () => {
    const cfg = config();
    await openTicket('SEV3', cfg);
    const checker = createSlaChecker({ db, config: cfg, clock });
    // Created Wednesday 10:00 Berlin: 8 business hours end Thursday 10:00; the 80 % warning falls on Wednesday 16:24.
    now = new Date('2026-11-25T22:00:00Z');
    expect((await checker.checkOnce()).warned).toEqual(['CS-1']);
    now = new Date('2026-11-26T08:59:00Z');
    expect(await checker.checkOnce()).toMatchObject({ warned: [], breached: [] });
    now = new Date('2026-11-26T09:00:00Z');
    expect((await checker.checkOnce()).breached).toEqual(['CS-1']);
    const escalation = (await createOutboxRepository({ db }).list()).find((row) => row.effectKey.startsWith('page:CS-1/sla'));
    expect(escalation?.payload).toMatchObject({ kind: 'page', event: { routing_key: 'default-key', dedup_key: 'CS-1/sla', payload: { severity: 'error', class: 'SEV2' } } });
  });

  it('neither warns nor escalates a ticket an engineer has answered, or a resolved one', async () => {
    const cfg = config();
    const answered = await openTicket('SEV1', cfg);
    const resolved = await openTicket('SEV1', cfg);
    const t = db.tables({ tickets });
    await db.transaction(async () => {
      await db.update(t.tickets).set({ firstRespondedAt: minutesAfter(5) }).where(eq(t.tickets.id, answered.id));
      await db.update(t.tickets).set({ status: 'resolved' }).where(eq(t.tickets.id, resolved.id));
    });
    now = minutesAfter(120);
    expect(await createSlaChecker({ db, config: cfg, clock }).checkOnce()).toEqual({ checked: 0, warned: [], breached: [] });
  });

  it('records a breach found late without a warning first, and resolve then resolves the REF/sla alert too', async () => {
    const cfg = config();
    const ticket = await openTicket('SEV2', cfg);
    now = minutesAfter(600);
    expect(await createSlaChecker({ db, config: cfg, clock }).checkOnce()).toEqual({ checked: 1, warned: [], breached: ['CS-1'] });
    await createPaging({ db, config: cfg, clock }).enqueueResolve(ticket);
    const resolves = (await createOutboxRepository({ db }).list()).flatMap((row) => (row.payload.kind === 'page' && row.payload.event.event_action === 'resolve' ? [row.payload.event.dedup_key] : []));
    expect(resolves).toEqual(['CS-1', 'CS-1/sla']);
    expect((await slaEventRows()).map((event) => event.kind)).toEqual(['breach']);
  });

  describe('updates after the first response', () => {
    const fresh = async (id: number) => (await createTicketsRepository({ db }).findById(id)) as NonNullable<Awaited<ReturnType<ReturnType<typeof createTicketsRepository>['findById']>>>;
    // As intake does it: the reply's ticket changes and their pages in one transaction.
    const engineerReplies = (cfg: Config, id: number, at: Date) =>
      db.transaction(async () => {
        const lifecycle = createLifecycle({ db, config: cfg });
        await lifecycle.onEngineerResponse({ ticket: await fresh(id), engineer: 'eve@cloudsoft.test', at });
        await lifecycle.transition({ ticket: await fresh(id), event: { kind: 'engineer-reply' }, at });
      });
    const pageEvents = async () =>
      (await createOutboxRepository({ db }).list()).flatMap((row) => (row.payload.kind === 'page' ? [[row.effectKey, row.payload.event.event_action, row.payload.event.dedup_key]] : []));

    it('warns and escalates a late update once per wait on its own REF/update alert, which the next reply resolves; the next wait starts over', async () => {
      const cfg = config({ escalationRoutingKey: 'escalation-key' });
      const ticket = await openTicket('SEV2', cfg);
      const checker = createSlaChecker({ db, config: cfg, clock, engineerNotify: ['oncall@cloudsoft.test'] });
      // SEV2: update target 4h by default, warning at 80 % = 192 minutes after the last reply.
      await engineerReplies(cfg, ticket.id, minutesAfter(10));
      const firstWait = minutesAfter(10).getTime();

      now = minutesAfter(10 + 191);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });
      now = minutesAfter(10 + 192);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: ['CS-1 (update)'], breached: [] });
      now = minutesAfter(10 + 240);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: ['CS-1 (update)'] });
      now = minutesAfter(10 + 300);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });

      await engineerReplies(cfg, ticket.id, minutesAfter(320));
      now = minutesAfter(320 + 192);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: ['CS-1 (update)'], breached: [] });

      const escalation = (await createOutboxRepository({ db }).list()).find((row) => row.effectKey === `page:CS-1/update:trigger:SEV1:${firstWait}`);
      expect(escalation?.payload).toMatchObject({ kind: 'page', event: { routing_key: 'escalation-key', dedup_key: 'CS-1/update', event_action: 'trigger', payload: { severity: 'critical' } } });
      expect((await pageEvents()).map(([, action, dedup]) => `${action} ${dedup}`)).toEqual(['trigger CS-1', 'acknowledge CS-1', 'trigger CS-1/update', 'resolve CS-1/update']);
      const warnings = (await createOutboxRepository({ db }).list()).flatMap((row) => (row.payload.kind === 'email' ? [row.payload.mail.subject] : []));
      expect(warnings).toEqual([expect.stringMatching(/^\[CS-1\] SLA warning: no update yet, due /), expect.stringMatching(/^\[CS-1\] SLA warning: no update yet, due /)]);
      expect((await slaEventRows()).map((event) => [event.metric, event.kind, event.cycle])).toEqual([
        ['update', 'warning', firstWait],
        ['update', 'breach', firstWait],
        ['update', 'warning', minutesAfter(320).getTime()],
      ]);
    });

    it('stops while the ticket is pending on the customer and starts again when they write back', async () => {
      const cfg = config();
      const ticket = await openTicket('SEV2', cfg);
      const checker = createSlaChecker({ db, config: cfg, clock });
      await engineerReplies(cfg, ticket.id, minutesAfter(10));
      await createLifecycle({ db, config: cfg }).transition({ ticket: await fresh(ticket.id), event: { kind: 'pending' }, at: minutesAfter(11) });

      now = minutesAfter(2000);
      expect(await checker.checkOnce()).toEqual({ checked: 0, warned: [], breached: [] });

      await createLifecycle({ db, config: cfg }).transition({ ticket: await fresh(ticket.id), event: { kind: 'customer-reply' }, at: minutesAfter(2000) });
      expect(await fresh(ticket.id)).toMatchObject({ status: 'open', updateClockFrom: minutesAfter(2000) });
      now = minutesAfter(2000 + 191);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: [] });
      now = minutesAfter(2000 + 240);
      expect(await checker.checkOnce()).toEqual({ checked: 1, warned: [], breached: ['CS-1 (update)'] });
    });
  });
});
