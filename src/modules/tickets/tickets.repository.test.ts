import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createTicketsRepository, type NewTicket, type NewTicketMessage } from './tickets.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const ticket = (requesterEmail = 'ann@acme.com'): NewTicket => ({ subject: 'Login broken', severity: 'SEV2', priority: 'High', requesterEmail, createdAt: at, updatedAt: at });
const message = (ticketId: number, overrides: Partial<NewTicketMessage> = {}): NewTicketMessage => ({
  ticketId,
  direction: 'inbound',
  messageId: null,
  inReplyTo: null,
  referencesJson: '[]',
  fromAddress: 'ann@acme.com',
  toJson: '[]',
  subject: 'Login broken',
  bodyText: 'It fails.',
  inboundId: null,
  createdAt: at,
  ...overrides,
});

describe.each(DIALECTS)('the tickets repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('numbers refs after the row id across prefixes, and finds a ticket by id and by ref in any case', async () => {
    const tickets = createTicketsRepository({ db });
    const first = await db.transaction(() => tickets.insertTicket({ prefix: 'ACME', ticket: ticket() }));
    const second = await tickets.insertTicket({ prefix: 'BETA', ticket: ticket() });
    expect([first.ref, second.ref]).toEqual([`ACME-${first.id}`, `BETA-${first.id + 1}`]);
    expect(first.createdAt).toEqual(at);
    expect((await tickets.findById(second.id))?.ref).toBe(second.ref);
    expect((await tickets.findByRef(second.ref.toLowerCase()))?.id).toBe(second.id);
    expect(await tickets.findByRef('NOPE-1')).toBeUndefined();
  });

  it('appends messages with their attachments, touches the ticket, and lists both in order', async () => {
    const tickets = createTicketsRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket() });
    const later = new Date(at.getTime() + 60_000);
    const file = { filename: 'log.txt', contentType: 'text/plain', size: 3, sha256: 'a'.repeat(64), text: null };
    await tickets.appendMessage({ message: message(row.id, { messageId: 'one@acme.com' }), files: [file, { ...file, filename: 'two.txt' }] });
    await tickets.appendNote({ ticketId: row.id, text: 'checked', from: 'ticketd', at: later });
    expect((await tickets.findById(row.id))?.updatedAt).toEqual(later);
    const messages = await tickets.listMessages(row.id);
    expect(messages.map((entry) => [entry.bodyText, entry.visibility, entry.attachments.map((attachment) => attachment.filename)])).toEqual([
      ['It fails.', 'public', ['log.txt', 'two.txt']],
      ['checked', 'internal', []],
    ]);
    expect((await tickets.listTickets()).map((entry) => [entry.ref, entry.messageCount])).toEqual([[row.ref, 2]]);
  });

  it('finds tickets by Message-IDs in the order asked, and knows which message a ticket holds', async () => {
    const tickets = createTicketsRepository({ db });
    const one = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket() });
    const two = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket() });
    await tickets.appendMessage({ message: message(one.id, { messageId: 'a@x' }) });
    await tickets.appendMessage({ message: message(two.id, { messageId: 'b@x' }) });
    expect(await tickets.findTicketIdsByMessageIds(['b@x', 'missing@x', 'a@x'])).toEqual([two.id, one.id]);
    expect(await tickets.findTicketIdsByMessageIds([])).toEqual([]);
    expect(await tickets.hasMessage({ ticketId: one.id, messageId: 'a@x' })).toBe(true);
    expect(await tickets.hasMessage({ ticketId: two.id, messageId: 'a@x' })).toBe(false);
  });

  it('searches text case-insensitively, with % and _ taken literally, in bodies and attachments', async () => {
    const tickets = createTicketsRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket() });
    await tickets.appendMessage({ message: message(row.id, { bodyText: 'Disk at 100% on DB_1' }) });
    await tickets.appendMessage({ message: message(row.id, { bodyText: 'see attached' }), files: [{ filename: 'fwd.eml', contentType: 'message/rfc822', size: 1, sha256: 'b'.repeat(64), text: 'Forwarded: Kernel PANIC' }] });
    await tickets.appendMessage({ message: message(row.id, { bodyText: 'Disk at 1000 on DBx1' }) });
    expect((await tickets.searchText({ query: '100%' })).map((hit) => hit.bodyText)).toEqual(['Disk at 100% on DB_1']);
    expect((await tickets.searchText({ query: 'db_1' })).map((hit) => hit.bodyText)).toEqual(['Disk at 100% on DB_1']);
    const [hit] = await tickets.searchText({ query: 'kernel panic' });
    expect(hit).toMatchObject({ ref: row.ref, filename: 'fwd.eml', attachmentText: 'Forwarded: Kernel PANIC' });
    expect(typeof hit?.messageId).toBe('number');
    expect(await tickets.searchText({ query: 'disk', limit: 1 })).toHaveLength(1);
  });
});
