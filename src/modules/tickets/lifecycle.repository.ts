import { and, asc, desc, eq, isNotNull, isNull, lte } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { ticketParticipants } from './participants.tables.js';
import { ticketMessages, tickets } from './tickets.tables.js';

export type TicketPatch = Partial<Pick<typeof tickets.$inferInsert, 'status' | 'severity' | 'priority' | 'assignee' | 'firstRespondedAt' | 'updateClockFrom' | 'resolvedAt' | 'closedAt' | 'linkedTicketId' | 'threadIndex' | 'updatedAt'>>;

/** Queries only; callers own the transaction. */
export function createLifecycleRepository({ db }: { db: Db }) {
  function updateTicket(id: number, patch: TicketPatch): void {
    if (Object.keys(patch).length > 0) db.update(tickets).set(patch).where(eq(tickets.id, id)).run();
  }

  /** Stamps the first response once: a later reply never moves it. */
  function stampFirstResponse(id: number, at: Date): boolean {
    return db.update(tickets).set({ firstRespondedAt: at }).where(and(eq(tickets.id, id), isNull(tickets.firstRespondedAt))).run().changes > 0;
  }

  function addParticipants(ticketId: number, addresses: string[], at: Date): void {
    for (const address of addresses) db.insert(ticketParticipants).values({ ticketId, address: address.toLowerCase(), createdAt: at }).onConflictDoNothing().run();
  }

  /** True when the address was a participant. */
  function removeParticipant(ticketId: number, address: string): boolean {
    return db.delete(ticketParticipants).where(and(eq(ticketParticipants.ticketId, ticketId), eq(ticketParticipants.address, address.toLowerCase()))).run().changes > 0;
  }

  function listParticipants(ticketId: number): string[] {
    return db.select({ address: ticketParticipants.address }).from(ticketParticipants).where(eq(ticketParticipants.ticketId, ticketId)).orderBy(asc(ticketParticipants.id)).all().map((row) => row.address);
  }

  /** The customer's latest mail with a Message-ID: relayed replies answer it, in the customer's own thread. */
  function lastCustomerMessage(ticketId: number) {
    return db
      .select()
      .from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, ticketId), eq(ticketMessages.direction, 'inbound'), isNotNull(ticketMessages.messageId), eq(ticketMessages.visibility, 'public')))
      .orderBy(desc(ticketMessages.id))
      .get();
  }

  /** Our latest public mail to the customer, whose References the next one extends. */
  function lastPublicOutbound(ticketId: number) {
    return db
      .select()
      .from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, ticketId), eq(ticketMessages.direction, 'outbound'), eq(ticketMessages.visibility, 'public')))
      .orderBy(desc(ticketMessages.id))
      .get();
  }

  function resolvedBefore(cutoff: Date) {
    return db
      .select()
      .from(tickets)
      .where(and(eq(tickets.status, 'resolved'), lte(tickets.resolvedAt, cutoff)))
      .orderBy(asc(tickets.id))
      .all();
  }

  return asyncRepository(
    db,
    { updateTicket, stampFirstResponse, addParticipants, removeParticipant, listParticipants, lastCustomerMessage, lastPublicOutbound, resolvedBefore },
    ['updateTicket', 'stampFirstResponse', 'addParticipants', 'removeParticipant'],
  );
}

export type LifecycleRepository = ReturnType<typeof createLifecycleRepository>;
