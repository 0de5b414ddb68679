import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { inboundMessages } from '../inbound-log/inbound-log.tables.js';
import { createLifecycleRepository } from '../tickets/lifecycle.repository.js';
import { createTicketsRepository, type NewTicket, type NewTicketMessage } from '../tickets/tickets.repository.js';
import { createThreadingRepository } from './threading.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const ticket = (requesterEmail: string): NewTicket => ({ subject: 'Login broken', severity: 'SEV2', priority: 'High', requesterEmail, createdAt: at, updatedAt: at });
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

async function logInbound(db: Db, rows: Array<{ messageId: string; ticketId: number | null; outcome: (typeof inboundMessages.$inferSelect)['outcome'] }>): Promise<void> {
  const t = db.tables({ inboundMessages });
  await db.write(async () => {
    await db.insert(t.inboundMessages).values(rows.map((row) => ({ ...row, source: 'file', rawSha256: 'c'.repeat(64), size: 10, receivedAt: at })));
  });
}

describe.each(DIALECTS)('the threading repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('finds tickets by stored and linked inbound Message-IDs, most specific id first, each ticket once', async () => {
    const tickets = createTicketsRepository({ db });
    const threading = createThreadingRepository({ db });
    const one = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('ann@acme.com') });
    const two = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('bob@acme.com') });
    const three = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('cat@acme.com') });
    await tickets.appendMessage({ message: message(one.id, { messageId: 'in-1@acme.com' }) });
    await tickets.appendMessage({ message: message(two.id, { messageId: 'out-2@desk', direction: 'outbound' }) });
    await tickets.appendMessage({ message: message(one.id, { messageId: 'also-1@acme.com' }) });
    await logInbound(db, [
      { messageId: 'relayed-3@desk', ticketId: three.id, outcome: 'reply' },
      { messageId: 'opened-3@acme.com', ticketId: three.id, outcome: 'ticket' },
      { messageId: 'dup@acme.com', ticketId: two.id, outcome: 'duplicate' },
      { messageId: 'held@acme.com', ticketId: null, outcome: 'held' },
      // A stored message wins over an inbound row carrying the same id.
      { messageId: 'in-1@acme.com', ticketId: three.id, outcome: 'reply' },
    ]);
    expect(await threading.ticketIdsByMessageIds([])).toEqual([]);
    expect(await threading.ticketIdsByMessageIds(['relayed-3@desk', 'unknown@x', 'out-2@desk', 'in-1@acme.com', 'also-1@acme.com'])).toEqual([three.id, two.id, one.id]);
    expect(await threading.ticketIdsByMessageIds(['in-1@acme.com', 'opened-3@acme.com'])).toEqual([one.id, three.id]);
    expect(await threading.ticketIdsByMessageIds(['dup@acme.com', 'held@acme.com'])).toEqual([]);
    // Past one slice of 500 ids.
    const many = Array.from({ length: 1200 }, (_, index) => `filler-${index}@x`);
    expect(await threading.ticketIdsByMessageIds([...many, 'opened-3@acme.com', 'out-2@desk'])).toEqual([three.id, two.id]);
  });

  it('matches automatic mail by the ids of our outbound mail only', async () => {
    const tickets = createTicketsRepository({ db });
    const threading = createThreadingRepository({ db });
    const one = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('ann@acme.com') });
    const two = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('bob@acme.com') });
    await tickets.appendMessage({ message: message(one.id, { messageId: 'in-1@acme.com' }) });
    await tickets.appendMessage({ message: message(one.id, { messageId: 'out-1@desk', direction: 'outbound' }) });
    await tickets.appendMessage({ message: message(two.id, { messageId: 'out-2@desk', direction: 'outbound' }) });
    expect(await threading.ticketIdsByOutboundMessageIds([])).toEqual([]);
    expect(await threading.ticketIdsByOutboundMessageIds(['in-1@acme.com'])).toEqual([]);
    const found = await threading.ticketIdsByOutboundMessageIds([...Array.from({ length: 700 }, (_, index) => `filler-${index}@x`), 'out-2@desk', 'out-1@desk', 'in-1@acme.com']);
    expect([...found].sort((a, b) => a - b)).toEqual([one.id, two.id]);
  });

  it('describes candidate tickets with their participants, in the order asked, by id and by ref in any case', async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const threading = createThreadingRepository({ db });
    const one = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('ann@acme.com') });
    const two = await tickets.insertTicket({ prefix: 'ACME', ticket: ticket('bob@acme.com') });
    await lifecycle.addParticipants(one.id, ['carol@acme.com', 'dave@else.com'], at);
    await lifecycle.updateTicket(two.id, { status: 'closed' });
    expect(await threading.candidates([])).toEqual([]);
    expect(await threading.candidates([two.id, 999_999, one.id])).toEqual([
      { id: two.id, ref: two.ref, status: 'closed', requesterEmail: 'bob@acme.com', participants: [] },
      { id: one.id, ref: one.ref, status: 'new', requesterEmail: 'ann@acme.com', participants: ['carol@acme.com', 'dave@else.com'] },
    ]);
    expect(await threading.candidatesByRefs([])).toEqual([]);
    expect((await threading.candidatesByRefs([one.ref.toLowerCase(), 'ACME-999999', two.ref])).map((candidate) => candidate.id)).toEqual([one.id, two.id]);
  });
});
