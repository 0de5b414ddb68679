import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { percentile } from './sla-report.models.js';
import { slaReport } from './sla-report.usecases.js';
import { createSlaRepository } from './sla.repository.js';
import { openTestDatabase } from '../../../test/support/test-database.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test' },
  paging: { timezone: 'Europe/Berlin' },
  sla: { organisations: { 'globex.test': { firstResponse: { SEV1: '15m' } } } },
});

const T0 = new Date('2026-11-02T09:00:00Z'); // Monday 10:00 Berlin
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe('percentile', () => {
  it('takes the nearest rank: the median of 1..10 is 5 and its p90 is 9', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([percentile(values, 50), percentile(values, 90), percentile([], 50)]).toEqual([5, 9, null]);
  });
});

describe('the SLA report', () => {
  it('adds up per organisation and severity on a seeded data set', async () => {
    const db = await openTestDatabase();
    onTestFinished(async () => db.close());
    const repository = createTicketsRepository({ db });
    const seed = (requesterEmail: string, severity: 'SEV1' | 'SEV2' | 'SEV4', respondedAfter: number | null, createdAt = T0) =>
      repository.insertTicket({
        prefix: 'CS',
        ticket: { subject: 's', severity, priority: 'Urgent', status: 'open', requesterEmail, requesterName: '', createdAt, updatedAt: createdAt, firstRespondedAt: respondedAfter === null ? null : new Date(createdAt.getTime() + respondedAfter * 60_000) },
      });
    // acme SEV1 (30 min target): answered after 10, 20, 30 (met), 45 (late), one unanswered past due.
    for (const minutes of [10, 20, 30, 45, null]) await seed('a@acme.test', 'SEV1', minutes);
    // globex SEV1 (15 min target): answered after 10 (met) and 20 (late).
    for (const minutes of [10, 20]) await seed('b@globex.test', 'SEV1', minutes);
    // acme SEV2 (2 h): one unanswered, created 60 minutes before "now": pending. One answered after 60 but recorded as breached by the checker.
    await seed('a@acme.test', 'SEV2', null, at(240));
    const recorded = await seed('a@acme.test', 'SEV2', 60);
    await createSlaRepository({ db }).record({ ticketId: recorded.id, metric: 'first_response', kind: 'breach', severity: 'SEV2', target: '2h', dueAt: at(120), recordedAt: at(120) });
    // acme SEV4 (2 business days = 16 business hours), Monday 10:00 -> due Wednesday 10:00: answered Tuesday evening (met).
    await seed('a@acme.test', 'SEV4', 32 * 60);
    // Before --since: left out.
    await seed('a@acme.test', 'SEV1', 500, new Date('2026-10-01T09:00:00Z'));

    const rows = await slaReport({ db, config, since: new Date('2026-11-01T00:00:00Z'), now: at(300) });

    expect(rows).toEqual([
      { organisation: 'acme.test', severity: 'SEV1', tickets: 5, met: 3, breached: 2, pending: 0, medianFirstResponseMinutes: 20, p90FirstResponseMinutes: 45 },
      { organisation: 'acme.test', severity: 'SEV2', tickets: 2, met: 0, breached: 1, pending: 1, medianFirstResponseMinutes: 60, p90FirstResponseMinutes: 60 },
      { organisation: 'acme.test', severity: 'SEV4', tickets: 1, met: 1, breached: 0, pending: 0, medianFirstResponseMinutes: 1920, p90FirstResponseMinutes: 1920 },
      { organisation: 'globex.test', severity: 'SEV1', tickets: 2, met: 1, breached: 1, pending: 0, medianFirstResponseMinutes: 10, p90FirstResponseMinutes: 20 },
    ]);
    for (const row of rows) expect(row.met + row.breached + row.pending).toBe(row.tickets);
    expect(rows.reduce((sum, row) => sum + row.tickets, 0)).toBe(10);
  });
});
