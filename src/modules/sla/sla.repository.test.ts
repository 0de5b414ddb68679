import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createTicketsRepository, type NewTicket } from '../tickets/tickets.repository.js';
import { createSlaRepository } from './sla.repository.js';

const at = new Date('2026-11-25T09:00:00.123Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const ticket = (overrides: Partial<NewTicket> = {}): NewTicket => ({ subject: 'API down', severity: 'SEV1', priority: 'Urgent', requesterEmail: 'alice@acme.test', createdAt: at, updatedAt: at, ...overrides });

describe.each(DIALECTS)('the SLA repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  async function open(overrides: Partial<NewTicket> = {}) {
    return createTicketsRepository({ db }).insertTicket({ prefix: 'CS', ticket: ticket(overrides) });
  }

  it('lists the tickets awaiting a first response, and those answered and waiting for an update, by id', async () => {
    const sla = createSlaRepository({ db });
    const fresh = await open();
    const opened = await open({ status: 'open' });
    await open({ status: 'resolved' });
    await open({ status: 'closed' });
    const waiting = await open({ status: 'open', firstRespondedAt: later(1), updateClockFrom: later(2) });
    await open({ status: 'pending', firstRespondedAt: later(1), updateClockFrom: later(2) });
    await open({ status: 'new', firstRespondedAt: later(1), updateClockFrom: null });
    const pendingUnanswered = await open({ status: 'pending' });
    expect((await sla.listAwaitingFirstResponse()).map((row) => row.id)).toEqual([fresh.id, opened.id, pendingUnanswered.id]);
    const update = await sla.listAwaitingUpdate();
    expect(update.map((row) => row.id)).toEqual([waiting.id]);
    expect(update[0]).toMatchObject({ firstRespondedAt: later(1), updateClockFrom: later(2), createdAt: at });
  });

  it('records each event once, lists those of given tickets, and the first-response breaches', async () => {
    const sla = createSlaRepository({ db });
    const one = await open();
    const two = await open();
    const event = { ticketId: one.id, metric: 'first_response' as const, kind: 'warning' as const, severity: 'SEV1' as const, target: '30m', dueAt: later(1_800_000), recordedAt: later(1_440_001) };
    expect(await sla.record(event)).toBe(true);
    expect(await sla.record({ ...event, recordedAt: later(1_500_000) })).toBe(false);
    expect(await sla.record({ ...event, kind: 'breach', recordedAt: later(1_800_000) })).toBe(true);
    expect(await sla.record({ ...event, metric: 'update', kind: 'breach', cycle: later(5).getTime() })).toBe(true);
    expect(await sla.record({ ...event, metric: 'update', kind: 'breach', cycle: later(6).getTime() })).toBe(true);
    expect(await sla.record({ ...event, ticketId: two.id, kind: 'breach' })).toBe(true);

    const events = await sla.listEvents([one.id]);
    expect(events.map((row) => [row.metric, row.kind, row.cycle])).toEqual([
      ['first_response', 'warning', 0],
      ['first_response', 'breach', 0],
      ['update', 'breach', later(5).getTime()],
      ['update', 'breach', later(6).getTime()],
    ]);
    expect(events[0]).toMatchObject({ dueAt: later(1_800_000), recordedAt: later(1_440_001), target: '30m', severity: 'SEV1' });
    expect(await sla.listEvents([])).toEqual([]);
    expect((await sla.listEvents([one.id, two.id])).map((row) => row.ticketId)).toEqual([one.id, one.id, one.id, one.id, two.id]);
    expect((await sla.listBreaches()).map((row) => [row.ticketId, row.metric, row.kind])).toEqual([
      [one.id, 'first_response', 'breach'],
      [two.id, 'first_response', 'breach'],
    ]);
  });

  it('records inside a caller transaction: a rolled-back record may be recorded again', async () => {
    const sla = createSlaRepository({ db });
    const one = await open();
    const event = { ticketId: one.id, metric: 'first_response' as const, kind: 'breach' as const, severity: 'SEV1' as const, target: '30m', dueAt: at, recordedAt: at };
    await expect(
      db.transaction(async () => {
        expect(await sla.record(event)).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sla.record(event)).toBe(true);
  });

  it('lists the tickets created since a date, to the millisecond, or all of them', async () => {
    const sla = createSlaRepository({ db });
    const before = await open({ createdAt: later(-1) });
    const exactly = await open({ createdAt: at });
    const after = await open({ createdAt: later(60_000) });
    expect((await sla.listTicketsSince(at)).map((row) => row.id)).toEqual([exactly.id, after.id]);
    expect((await sla.listTicketsSince(undefined)).map((row) => row.id)).toEqual([before.id, exactly.id, after.id]);
    expect(await sla.listTicketsSince(later(60_001))).toEqual([]);
  });
});
