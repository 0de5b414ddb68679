import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { formatTicketRef } from '../desk/ticket.models.js';
import { attachments, ticketMessages, tickets } from './tickets.tables.js';

export type TicketRow = typeof tickets.$inferSelect;
export type TicketMessageRow = typeof ticketMessages.$inferSelect;
export type NewTicket = Omit<typeof tickets.$inferInsert, 'id' | 'ref'>;
export type NewTicketMessage = Omit<typeof ticketMessages.$inferInsert, 'id'>;
export type NewAttachment = Omit<typeof attachments.$inferInsert, 'id' | 'ticketMessageId'>;

/** Queries only; callers own the transaction. */
export function createTicketsRepository({ db }: { db: Db }) {
  /** Refs are PREFIX-N with N the row id, so they never repeat, even across prefixes. */
  function insertTicket({ prefix, ticket }: { prefix: string; ticket: NewTicket }): TicketRow {
    const next = db.get<{ next: number }>(sql`select coalesce(max(id), 0) + 1 as next from tickets`).next;
    return db
      .insert(tickets)
      .values({ ...ticket, id: next, ref: formatTicketRef({ prefix, number: next }) })
      .returning()
      .get();
  }

  function appendMessage({ message, files = [] }: { message: NewTicketMessage; files?: NewAttachment[] }): TicketMessageRow {
    const row = db.insert(ticketMessages).values(message).returning().get();
    for (const file of files) db.insert(attachments).values({ ...file, ticketMessageId: row.id }).run();
    db.update(tickets).set({ updatedAt: message.createdAt }).where(eq(tickets.id, message.ticketId)).run();
    return row;
  }

  function findById(id: number): TicketRow | undefined {
    return db.select().from(tickets).where(eq(tickets.id, id)).get();
  }

  function findByRef(ref: string): TicketRow | undefined {
    return db.select().from(tickets).where(eq(tickets.ref, ref.toUpperCase())).get();
  }

  /** Tickets holding any of these Message-IDs (inbound or outbound), in the order the ids were given. */
  function findTicketIdsByMessageIds(messageIds: string[]): number[] {
    if (messageIds.length === 0) return [];
    const rows = db
      .select({ ticketId: ticketMessages.ticketId, messageId: ticketMessages.messageId })
      .from(ticketMessages)
      .where(inArray(ticketMessages.messageId, messageIds))
      .all();
    const byId = new Map(rows.map((row) => [row.messageId, row.ticketId]));
    return messageIds.flatMap((id) => (byId.has(id) ? [byId.get(id) as number] : []));
  }

  function hasMessage({ ticketId, messageId }: { ticketId: number; messageId: string }): boolean {
    return (
      db
        .select({ id: ticketMessages.id })
        .from(ticketMessages)
        .where(and(eq(ticketMessages.ticketId, ticketId), eq(ticketMessages.messageId, messageId)))
        .get() !== undefined
    );
  }

  function listTickets(): Array<TicketRow & { messageCount: number }> {
    return db
      .select({
        ticket: tickets,
        // Qualified by hand: drizzle leaves single-table columns unqualified, which the subquery would misread.
        messageCount: sql<number>`(select count(*) from ticket_messages where ticket_messages.ticket_id = tickets.id)`,
      })
      .from(tickets)
      .orderBy(asc(tickets.id))
      .all()
      .map((row) => ({ ...row.ticket, messageCount: row.messageCount }));
  }

  function listMessages(ticketId: number) {
    const messages = db.select().from(ticketMessages).where(eq(ticketMessages.ticketId, ticketId)).orderBy(asc(ticketMessages.id)).all();
    const files = messages.length
      ? db
          .select()
          .from(attachments)
          .where(
            inArray(
              attachments.ticketMessageId,
              messages.map((message) => message.id),
            ),
          )
          .orderBy(asc(attachments.id))
          .all()
      : [];
    return messages.map((message) => ({ ...message, attachments: files.filter((file) => file.ticketMessageId === message.id) }));
  }

  return { insertTicket, appendMessage, findById, findByRef, findTicketIdsByMessageIds, hasMessage, listTickets, listMessages };
}

export type TicketsRepository = ReturnType<typeof createTicketsRepository>;
