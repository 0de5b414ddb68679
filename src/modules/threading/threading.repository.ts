import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { inboundMessages, outcomeFilter } from '../inbound-log/inbound-log.tables.js';
import { ticketParticipants } from '../tickets/participants.tables.js';
import { ticketMessages, tickets } from '../tickets/tickets.tables.js';
import type { ThreadCandidate } from './threading.models.js';

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createThreadingRepository({ db }: { db: Db }) {
  const t = db.tables({ tickets, ticketMessages, ticketParticipants, inboundMessages });
  const linkedOutcomes = ['ticket', 'reply'] as const;
  // `outcomeFilter` keeps the outcome column out of index selection (see there).
  const linkedToTicket = outcomeFilter([...linkedOutcomes]);

  /**
   * Tickets holding any of these ids, most specific id first: every stored message (inbound, our outbound
   * mail, notes) and every inbound mail linked to a ticket (an engineer's original whose relay carries our id).
   */
  async function ticketIdsByMessageIds(messageIds: string[]): Promise<number[]> {
    if (messageIds.length === 0) return [];
    const found = new Map<string, number>();
    // Databases limit bound parameters; long References are looked up in slices.
    for (let start = 0; start < messageIds.length; start += 500) {
      const slice = messageIds.slice(start, start + 500);
      const stored = await db.select({ messageId: t.ticketMessages.messageId, ticketId: t.ticketMessages.ticketId }).from(t.ticketMessages).where(inArray(t.ticketMessages.messageId, slice));
      for (const row of stored) {
        if (row.messageId !== null && !found.has(row.messageId)) found.set(row.messageId, row.ticketId);
      }
      const inbound = await db
        .select({ messageId: t.inboundMessages.messageId, ticketId: t.inboundMessages.ticketId })
        .from(t.inboundMessages)
        .where(and(inArray(t.inboundMessages.messageId, slice), isNotNull(t.inboundMessages.ticketId), linkedToTicket));
      for (const row of inbound) if (row.messageId !== null && row.ticketId !== null && !found.has(row.messageId)) found.set(row.messageId, row.ticketId);
    }
    return [...new Set(messageIds.flatMap((id) => (found.has(id) ? [found.get(id) as number] : [])))];
  }

  /**
   * Tickets of OUR outbound mail carrying any of these ids (confirmations, relays, notifications): the only
   * ids an automatic reply or a bounce may be matched by. An inbound (customer's) id proves nothing: every
   * recipient of the customer's mail knows it.
   */
  async function ticketIdsByOutboundMessageIds(messageIds: string[]): Promise<number[]> {
    const found = new Set<number>();
    for (let start = 0; start < messageIds.length; start += 500) {
      const slice = messageIds.slice(start, start + 500);
      const rows = await db
        .select({ ticketId: t.ticketMessages.ticketId })
        .from(t.ticketMessages)
        .where(and(inArray(t.ticketMessages.messageId, slice), eq(t.ticketMessages.direction, 'outbound')));
      for (const row of rows) found.add(row.ticketId);
    }
    return [...found];
  }

  async function candidates(ticketIds: number[]): Promise<ThreadCandidate[]> {
    if (ticketIds.length === 0) return [];
    const rows = await db
      .select({ id: t.tickets.id, ref: t.tickets.ref, status: t.tickets.status, requesterEmail: t.tickets.requesterEmail })
      .from(t.tickets)
      .where(inArray(t.tickets.id, ticketIds));
    const people = await db.select().from(t.ticketParticipants).where(inArray(t.ticketParticipants.ticketId, ticketIds));
    const byId = new Map(rows.map((row) => [row.id, { ...row, participants: people.filter((p) => p.ticketId === row.id).map((p) => p.address) }]));
    return ticketIds.flatMap((id) => (byId.has(id) ? [byId.get(id) as ThreadCandidate] : []));
  }

  async function candidatesByRefs(refs: string[]): Promise<ThreadCandidate[]> {
    if (refs.length === 0) return [];
    const rows = await db
      .select({ id: t.tickets.id, ref: t.tickets.ref })
      .from(t.tickets)
      .where(
        inArray(
          t.tickets.ref,
          refs.map((ref) => ref.toUpperCase()),
        ),
      );
    const byRef = new Map(rows.map((row) => [row.ref, row.id]));
    return candidates(refs.flatMap((ref) => (byRef.has(ref.toUpperCase()) ? [byRef.get(ref.toUpperCase()) as number] : [])));
  }

  return { ticketIdsByMessageIds, ticketIdsByOutboundMessageIds, candidates, candidatesByRefs };
}

export type ThreadingRepository = ReturnType<typeof createThreadingRepository>;
