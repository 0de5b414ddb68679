import { and, asc, desc, eq, isNotNull, isNull, lte } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows, firstRow } from '../../shared/db-results.js';
import { ticketParticipants } from './participants.tables.js';
import { ticketMessages, tickets } from './tickets.tables.js';

export type TicketPatch = Partial<Pick<typeof tickets.$inferInsert, 'status' | 'severity' | 'priority' | 'assignee' | 'firstRespondedAt' | 'updateClockFrom' | 'resolvedAt' | 'closedAt' | 'linkedTicketId' | 'threadIndex' | 'updatedAt'>>;

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createLifecycleRepository({ db }: { db: Db }) {
  const t = db.tables({ tickets, ticketMessages, ticketParticipants });

  async function updateTicket(id: number, patch: TicketPatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await db.write(async () => {
      await db.update(t.tickets).set(patch).where(eq(t.tickets.id, id));
    });
  }

  /** Stamps the first response once: a later reply never moves it. */
  async function stampFirstResponse(id: number, at: Date): Promise<boolean> {
    return db.write(async () => changedRows(await db.update(t.tickets).set({ firstRespondedAt: at }).where(and(eq(t.tickets.id, id), isNull(t.tickets.firstRespondedAt)))) > 0);
  }

  async function addParticipants(ticketId: number, addresses: string[], at: Date): Promise<void> {
    await db.write(async () => {
      for (const address of addresses) await db.insert(t.ticketParticipants).values({ ticketId, address: address.toLowerCase(), createdAt: at }).onConflictDoNothing();
    });
  }

  /** True when the address was a participant. */
  async function removeParticipant(ticketId: number, address: string): Promise<boolean> {
    return db.write(
      async () => changedRows(await db.delete(t.ticketParticipants).where(and(eq(t.ticketParticipants.ticketId, ticketId), eq(t.ticketParticipants.address, address.toLowerCase())))) > 0,
    );
  }

  async function listParticipants(ticketId: number): Promise<string[]> {
    const rows = await db.select({ address: t.ticketParticipants.address }).from(t.ticketParticipants).where(eq(t.ticketParticipants.ticketId, ticketId)).orderBy(asc(t.ticketParticipants.id));
    return rows.map((row) => row.address);
  }

  /** The customer's latest mail with a Message-ID: relayed replies answer it, in the customer's own thread. */
  async function lastCustomerMessage(ticketId: number) {
    return firstRow(
      await db
        .select()
        .from(t.ticketMessages)
        .where(and(eq(t.ticketMessages.ticketId, ticketId), eq(t.ticketMessages.direction, 'inbound'), isNotNull(t.ticketMessages.messageId), eq(t.ticketMessages.visibility, 'public')))
        .orderBy(desc(t.ticketMessages.id))
        .limit(1),
    );
  }

  /** Our latest public mail to the customer, whose References the next one extends. */
  async function lastPublicOutbound(ticketId: number) {
    return firstRow(
      await db
        .select()
        .from(t.ticketMessages)
        .where(and(eq(t.ticketMessages.ticketId, ticketId), eq(t.ticketMessages.direction, 'outbound'), eq(t.ticketMessages.visibility, 'public')))
        .orderBy(desc(t.ticketMessages.id))
        .limit(1),
    );
  }

  async function resolvedBefore(cutoff: Date) {
    return db
      .select()
      .from(t.tickets)
      .where(and(eq(t.tickets.status, 'resolved'), lte(t.tickets.resolvedAt, cutoff)))
      .orderBy(asc(t.tickets.id));
  }

  return { updateTicket, stampFirstResponse, addParticipants, removeParticipant, listParticipants, lastCustomerMessage, lastPublicOutbound, resolvedBefore };
}

export type LifecycleRepository = ReturnType<typeof createLifecycleRepository>;
