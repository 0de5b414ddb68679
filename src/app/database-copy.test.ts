import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/test-database.js';
import { createCustomersRepository } from '../modules/customers/customers.repository.js';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import type { Db } from '../shared/db.js';
import { rawRows } from '../shared/db-results.js';
import { sql } from 'drizzle-orm';
import { compareDatabases, copyDatabase, copyStoreFiles, parentsFirst } from './database-copy.js';
import { createBlobStore } from '../modules/store/blob-store.js';
import { createSharedBlobStore } from '../modules/store/shared-blob-store.js';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { sqliteTables } from './postgres.schema.js';

const at = new Date('2026-12-06T05:30:00.250Z');
const tables = Object.values(sqliteTables);
const open: Db[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});
const database = async (dialect: 'sqlite' | 'postgresql') => {
  const db = await openTestDatabase(dialect);
  open.push(db);
  return db;
};

/** A small desk: an organisation and a user, two tickets with messages and an attachment, an outbox row, a cursor. */
async function fillDesk(db: Db): Promise<void> {
  const customers = createCustomersRepository({ db });
  const tickets = createTicketsRepository({ db });
  await customers.addDomain({ domain: 'acme.test', organisation: 'Acme', origin: 'config', at });
  await customers.upsertUser({ email: 'ann@acme.test', name: 'Ann Ö', status: 'verified', at });
  for (const n of [1, 2]) {
    const ticket = await tickets.insertTicket({ prefix: 'CS', ticket: { subject: `Disk ${n}`, severity: 'SEV2', priority: 'High', requesterEmail: 'ann@acme.test', createdAt: at, updatedAt: at } });
    await tickets.appendMessage({
      message: { ticketId: ticket.id, direction: 'inbound', messageId: `m${n}@acme.test`, inReplyTo: null, referencesJson: '[]', fromAddress: 'ann@acme.test', toJson: '[]', subject: `Disk ${n}`, bodyText: 'full', inboundId: null, createdAt: at, fromOutsideOrganisation: n === 2 },
      files: [{ filename: 'df.txt', contentType: 'text/plain', size: 4, sha256: 'c'.repeat(64), text: null }],
    });
  }
  await createOutboxRepository({ db }).enqueue({ effectKey: 'page:CS-1', ticketId: 1, payload: { kind: 'page', event: { routing_key: 'k', event_action: 'trigger', dedup_key: 'CS-1', payload: { summary: 's', severity: 'critical', source: 'ticketd' } } }, at });
  await createInboundLogRepository({ db }).saveCursor({ mailbox: 'INBOX', uidValidity: '7', lastUid: 4_294_967_295, at });
}

describe('ticketd db copy: SQLite to PostgreSQL', () => {
  it('orders tables parents first', () => {
    const names = parentsFirst(tables).map((table) => (table as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')]);
    expect(names.indexOf('tickets')).toBeLessThan(names.indexOf('ticket_messages'));
    expect(names.indexOf('ticket_messages')).toBeLessThan(names.indexOf('attachments'));
    expect(names).toHaveLength(tables.length);
  });

  it('copies every table, verifies counts and digests, and the copy goes on numbering after the copied ids', async () => {
    const from = await database('sqlite');
    const to = await database('postgresql');
    await fillDesk(from);
    const seen: number[] = [];
    const report = await copyDatabase({ from, to, tables, batchSize: 1, onProgress: ({ done }) => seen.push(done) });
    expect(report.same).toBe(true);
    const byName = Object.fromEntries(report.tables.map((entry) => [entry.table, entry]));
    expect([byName.tickets?.rows, byName.ticket_messages?.rows, byName.attachments?.rows, byName.users?.rows, byName.outbox?.rows, byName.mailbox_cursors?.rows]).toEqual([2, 2, 2, 1, 1, 1]);
    expect(byName.tickets?.targetSha256).toBe(byName.tickets?.sourceSha256);
    expect(seen.at(-1)).toBe(report.rows);

    // Values as they were (Dates to the millisecond, booleans, a UID over 2^31) and the next ids after the copied ones.
    const tickets = createTicketsRepository({ db: to });
    expect((await tickets.listMessages(2)).map((message) => [message.createdAt, message.fromOutsideOrganisation, message.attachments.length])).toEqual([[at, true, 1]]);
    expect((await createInboundLogRepository({ db: to }).getCursor('INBOX'))?.lastUid).toBe(4_294_967_295);
    const third = await tickets.insertTicket({ prefix: 'CS', ticket: { subject: 'after', severity: 'SEV4', priority: 'Low', requesterEmail: 'ann@acme.test', createdAt: at, updatedAt: at } });
    expect(third.ref).toBe('CS-3');
    const message = await tickets.appendNote({ ticketId: third.id, text: 'n', from: 'ticketd', at });
    expect(message.id).toBe(3);
  });

  it('sees a difference: a row changed on the target after the copy changes that table\'s digest, and a second copy is refused', async () => {
    const from = await database('sqlite');
    const to = await database('postgresql');
    await fillDesk(from);
    await copyDatabase({ from, to, tables });
    await to.transaction(() => rawRows(to, sql`update tickets set subject = 'tampered' where id = 2 returning id as "id"`));
    const after = await compareDatabases({ from, to, tables });
    expect(after.same).toBe(false);
    expect(after.tables.filter((entry) => !entry.same).map((entry) => [entry.table, entry.rows, entry.targetRows])).toEqual([['tickets', 2, 2]]);
    await expect(copyDatabase({ from, to, tables })).rejects.toThrow(/already holds data \(\d+ rows in \w+\): copy into an empty database/);
  });

  it('refuses a SQLite target', async () => {
    const from = await database('sqlite');
    const to = await database('sqlite');
    await expect(copyDatabase({ from, to, tables })).rejects.toThrow(/must be a PostgreSQL database/);
  });

  it('puts the raw mail and attachments the rows point at into PostgreSQL, where another instance reads them, and names what is missing', async () => {
    const from = await database('sqlite');
    const to = await database('postgresql');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-copy-'));
    try {
      const raw = createBlobStore({ dir: path.join(dir, 'store', 'raw'), compress: true });
      const stored = await raw.put(Buffer.from('From: ann@acme.test\r\nSubject: Disk\r\n\r\nfull\r\n'));
      await from.write(async () => {
        const t = from.tables({ inboundMessages });
        await from.insert(t.inboundMessages).values([
          { source: 'imap', rawSha256: stored.sha256, size: stored.size, outcome: 'ticket', receivedAt: at },
          { source: 'imap', rawSha256: 'f'.repeat(64), size: 3, outcome: 'quarantined', receivedAt: at },
        ]);
      });
      await copyDatabase({ from, to, tables });
      const stores = await copyStoreFiles({ from, to, storageDir: path.join(dir, 'store') });
      expect(stores).toEqual([
        { store: 'raw', blobs: 2, copied: 1, missing: ['f'.repeat(64)] },
        { store: 'attachments', blobs: 0, copied: 0, missing: [] },
      ]);
      // Another instance, with an empty folder of its own, finds the raw mail in PostgreSQL.
      const elsewhere = createSharedBlobStore({ files: createBlobStore({ dir: path.join(dir, 'elsewhere', 'raw'), compress: true }), db: to, store: 'raw' });
      expect(await elsewhere.ensure(stored.sha256)).toBe(true);
      expect((await elsewhere.read(stored.sha256)).toString()).toContain('Subject: Disk');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
