import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTicketsRepository } from '../src/modules/tickets/tickets.repository.js';
import { openPostgres } from '../src/app/database.js';
import { closeDatabase, openDatabase } from '../src/shared/db.js';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { runTicketd, ticketdJson } from './support/ticketd-process.js';

describe('ticketd sla report', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-sla-'));
    configFile = path.join(dir, 'ticketd.yaml');
    // This run's dialect: a SQLite file, or a fresh PostgreSQL database (the stores then in the folder).
    const url = testDialect() === 'postgresql' ? await createTestPostgresDatabase() : undefined;
    const databaseConfig = url ? { database: { url }, storage: { path: path.join(dir, 'store') } } : { database: { path: path.join(dir, 'sla.sqlite') } };
    await writeFile(configFile, stringify({ ...databaseConfig, imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' }, smtp: { host: '127.0.0.1' }, support: { address: 'help@cloudsoft.test' } }));
    const db = url ? await openPostgres({ url }) : openDatabase({ path: path.join(dir, 'sla.sqlite') });
    const tickets = createTicketsRepository({ db });
    const created = new Date('2026-11-02T09:00:00Z');
    for (const [email, minutes] of [['a@acme.test', 10], ['a@acme.test', 50], ['b@globex.test', 20]] as const) {
      await tickets.insertTicket({ prefix: 'CS', ticket: { subject: 's', severity: 'SEV1', priority: 'Urgent', status: 'open', requesterEmail: email, requesterName: '', createdAt: created, updatedAt: created, firstRespondedAt: new Date(created.getTime() + minutes * 60_000) } });
    }
    await tickets.insertTicket({ prefix: 'CS', ticket: { subject: 'old', severity: 'SEV1', priority: 'Urgent', status: 'closed', requesterEmail: 'a@acme.test', requesterName: '', createdAt: new Date('2026-01-05T09:00:00Z'), updatedAt: created, firstRespondedAt: null } });
    await closeDatabase(db);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints per organisation and severity tickets, met, breached and response times as JSON, honouring --since', async () => {
    const rows = await ticketdJson<Array<Record<string, unknown>>>(['sla', 'report', '--config', configFile, '--json', '--since', '2026-11-01']);
    expect(rows).toEqual([
      { organisation: 'acme.test', severity: 'SEV1', tickets: 2, met: 1, breached: 1, pending: 0, medianFirstResponseMinutes: 10, p90FirstResponseMinutes: 50 },
      { organisation: 'globex.test', severity: 'SEV1', tickets: 1, met: 1, breached: 0, pending: 0, medianFirstResponseMinutes: 20, p90FirstResponseMinutes: 20 },
    ]);
    const all = await ticketdJson<Array<{ tickets: number }>>(['sla', 'report', '--config', configFile, '--json']);
    expect(all.reduce((sum, row) => sum + row.tickets, 0)).toBe(4);
  });

  it('refuses a --since that is not a date with a usage error', async () => {
    const result = await runTicketd(['sla', 'report', '--config', configFile, '--since', 'last tuesday']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a date');
  });
});
