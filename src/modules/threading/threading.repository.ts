import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { inboundMessages, outcomeFilter } from '../inbound-log/inbound-log.tables.js';
import { ticketParticipants } from '../tickets/participants.tables.js';
import { ticketMessages, tickets } from '../tickets/tickets.tables.js';
import type { ThreadCandidate } from './threading.models.js';

/** Queries only; callers own the transaction. */
export function createThreadingRepository({ db }: { db: Db }) {
  /**
   * Tickets holding any of these ids, most specific id first: every stored message (inbound, our outbound
   * mail, notes) and every inbound mail linked to a ticket (an engineer's original whose relay carries our id).
   */
  function ticketIdsByMessageIds(messageIds: string[]): number[] {
    if (messageIds.length === 0) return [];
    const found = new Map<string, number>();
    // SQLite limits bound parameters; long References are looked up in slices.
    for (let start = 0; start < messageIds.length; start += 500) {
      const slice = messageIds.slice(start, start + 500);
      for (const row of db.select({ messageId: ticketMessages.messageId, ticketId: ticketMessages.ticketId }).from(ticketMessages).where(inArray(ticketMessages.messageId, slice)).all()) {
        if (row.messageId !== null && !found.has(row.messageId)) found.set(row.messageId, row.ticketId);
      }
      const inbound = db
        .select({ messageId: inboundMessages.messageId, ticketId: inboundMessages.ticketId })
        .from(inboundMessages)
        .where(and(inArray(inboundMessages.messageId, slice), isNotNull(inboundMessages.ticketId), outcomeFilter(['ticket', 'reply'])))
        .all();
      for (const row of inbound) if (row.messageId !== null && row.ticketId !== null && !found.has(row.messageId)) found.set(row.messageId, row.ticketId);
    }
    return [...new Set(messageIds.flatMap((id) => (found.has(id) ? [found.get(id) as number] : [])))];
  }

  /**
   * Tickets of OUR outbound mail carrying any of these ids (confirmations, relays, notifications): the only
   * ids an automatic reply or a bounce may be matched by. An inbound (customer's) id proves nothing: every
   * recipient of the customer's mail knows it.
   */
  function ticketIdsByOutboundMessageIds(messageIds: string[]): number[] {
    const found = new Set<number>();
    for (let start = 0; start < messageIds.length; start += 500) {
      const slice = messageIds.slice(start, start + 500);
      const rows = db
        .select({ ticketId: ticketMessages.ticketId })
        .from(ticketMessages)
        .where(and(inArray(ticketMessages.messageId, slice), eq(ticketMessages.direction, 'outbound')))
        .all();
      for (const row of rows) found.add(row.ticketId);
    }
    return [...found];
  }

  function candidates(ticketIds: number[]): ThreadCandidate[] {
    if (ticketIds.length === 0) return [];
    const rows = db.select({ id: tickets.id, ref: tickets.ref, status: tickets.status, requesterEmail: tickets.requesterEmail }).from(tickets).where(inArray(tickets.id, ticketIds)).all();
    const people = db.select().from(ticketParticipants).where(inArray(ticketParticipants.ticketId, ticketIds)).all();
    const byId = new Map(rows.map((row) => [row.id, { ...row, participants: people.filter((p) => p.ticketId === row.id).map((p) => p.address) }]));
    return ticketIds.flatMap((id) => (byId.has(id) ? [byId.get(id) as ThreadCandidate] : []));
  }

  function candidatesByRefs(refs: string[]): ThreadCandidate[] {
    if (refs.length === 0) return [];
    const rows = db.select({ id: tickets.id, ref: tickets.ref }).from(tickets).where(inArray(tickets.ref, refs.map((ref) => ref.toUpperCase()))).all();
    const byRef = new Map(rows.map((row) => [row.ref, row.id]));
    return candidates(refs.flatMap((ref) => (byRef.has(ref.toUpperCase()) ? [byRef.get(ref.toUpperCase()) as number] : [])));
  }

  return asyncRepository(db, { ticketIdsByMessageIds, ticketIdsByOutboundMessageIds, candidates, candidatesByRefs }, []);
}

export type ThreadingRepository = ReturnType<typeof createThreadingRepository>;
