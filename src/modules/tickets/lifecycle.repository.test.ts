import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createLifecycleRepository } from './lifecycle.repository.js';
import { createTicketsRepository, type NewTicket, type NewTicketMessage } from './tickets.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);
const ticket: NewTicket = { subject: 'Login broken', severity: 'SEV2', priority: 'High', requesterEmail: 'ann@acme.com', createdAt: at, updatedAt: at };
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

describe.each(DIALECTS)('the lifecycle repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('patches a ticket (dates, status, nulls), and leaves it alone for an empty patch', async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket });
    await lifecycle.updateTicket(row.id, { status: 'resolved', resolvedAt: later(1), assignee: 'erin@cloudsoft.com', updatedAt: later(1) });
    expect(await tickets.findById(row.id)).toMatchObject({ status: 'resolved', resolvedAt: later(1), assignee: 'erin@cloudsoft.com', updatedAt: later(1), closedAt: null });
    await db.transaction(() => lifecycle.updateTicket(row.id, { assignee: null, linkedTicketId: row.id }));
    await lifecycle.updateTicket(row.id, {});
    expect(await tickets.findById(row.id)).toMatchObject({ status: 'resolved', assignee: null, linkedTicketId: row.id, updatedAt: later(1) });
  });

  it('stamps the first response once', async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket });
    expect(await lifecycle.stampFirstResponse(row.id, later(5))).toBe(true);
    expect(await lifecycle.stampFirstResponse(row.id, later(9))).toBe(false);
    expect((await tickets.findById(row.id))?.firstRespondedAt).toEqual(later(5));
  });

  it('adds participants lower-cased and once, lists them in order added, and removes them in any case', async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket });
    const other = await tickets.insertTicket({ prefix: 'ACME', ticket });
    await lifecycle.addParticipants(row.id, ['Bob@Acme.com', 'carol@acme.com'], at);
    await db.transaction(() => lifecycle.addParticipants(row.id, ['bob@acme.com', 'BOB@ACME.COM', 'dave@acme.com'], later(1)));
    await lifecycle.addParticipants(other.id, ['bob@acme.com'], at);
    await lifecycle.addParticipants(other.id, [], at);
    expect(await lifecycle.listParticipants(row.id)).toEqual(['bob@acme.com', 'carol@acme.com', 'dave@acme.com']);
    expect(await lifecycle.removeParticipant(row.id, 'CAROL@acme.com')).toBe(true);
    expect(await lifecycle.removeParticipant(row.id, 'carol@acme.com')).toBe(false);
    expect(await lifecycle.listParticipants(row.id)).toEqual(['bob@acme.com', 'dave@acme.com']);
    expect(await lifecycle.listParticipants(other.id)).toEqual(['bob@acme.com']);
  });

  it("finds the customer's latest public mail with a Message-ID, and our latest public outbound mail", async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const row = await tickets.insertTicket({ prefix: 'ACME', ticket });
    expect(await lifecycle.lastCustomerMessage(row.id)).toBeUndefined();
    expect(await lifecycle.lastPublicOutbound(row.id)).toBeUndefined();
    await tickets.appendMessage({ message: message(row.id, { messageId: 'first@acme.com' }) });
    await tickets.appendMessage({ message: message(row.id, { messageId: 'second@acme.com', createdAt: later(1) }) });
    await tickets.appendMessage({ message: message(row.id, { messageId: null, bodyText: 'no id' }) });
    await tickets.appendMessage({ message: message(row.id, { messageId: 'outside@else.com', visibility: 'internal', fromOutsideOrganisation: true }) });
    await tickets.appendMessage({ message: message(row.id, { direction: 'outbound', messageId: 'reply-1@desk', fromAddress: 'help@desk' }) });
    await tickets.appendMessage({ message: message(row.id, { direction: 'outbound', messageId: 'reply-2@desk', fromAddress: 'help@desk', createdAt: later(2) }) });
    await tickets.appendNote({ ticketId: row.id, text: 'internal', from: 'erin@desk', at: later(3) });
    expect(await lifecycle.lastCustomerMessage(row.id)).toMatchObject({ messageId: 'second@acme.com', direction: 'inbound', visibility: 'public', createdAt: later(1), fromOutsideOrganisation: false });
    expect(await lifecycle.lastPublicOutbound(row.id)).toMatchObject({ messageId: 'reply-2@desk', direction: 'outbound', createdAt: later(2) });
  });

  it('lists resolved tickets resolved at or before the cutoff, in id order', async () => {
    const tickets = createTicketsRepository({ db });
    const lifecycle = createLifecycleRepository({ db });
    const ids: number[] = [];
    for (let index = 0; index < 4; index += 1) ids.push((await tickets.insertTicket({ prefix: 'ACME', ticket })).id);
    const [early, edge, late, reopened] = ids as [number, number, number, number];
    await lifecycle.updateTicket(late, { status: 'resolved', resolvedAt: later(11) });
    await lifecycle.updateTicket(edge, { status: 'resolved', resolvedAt: later(10) });
    await lifecycle.updateTicket(early, { status: 'resolved', resolvedAt: later(1) });
    await lifecycle.updateTicket(reopened, { status: 'open', resolvedAt: later(1) });
    const due = await lifecycle.resolvedBefore(later(10));
    expect(due.map((row) => row.id)).toEqual([early, edge]);
    expect(due[0]?.resolvedAt).toEqual(later(1));
  });
});
