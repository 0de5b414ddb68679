import { and, asc, eq, inArray, max, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { firstRow, onlyRow, rawNumber, rawRows } from '../../shared/db-results.js';
import { formatTicketRef } from '../desk/ticket.models.js';
import { attachments, ticketMessages, tickets } from './tickets.tables.js';

export type TicketRow = typeof tickets.$inferSelect;
export type TicketMessageRow = typeof ticketMessages.$inferSelect;
export type NewTicket = Omit<typeof tickets.$inferInsert, 'id' | 'ref'>;
export type NewTicketMessage = Omit<typeof ticketMessages.$inferInsert, 'id'>;
export type NewAttachment = Omit<typeof attachments.$inferInsert, 'id' | 'ticketMessageId'>;

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createTicketsRepository({ db }: { db: Db }) {
  const t = db.tables({ tickets, ticketMessages, attachments });

  /** Refs are PREFIX-N with N the row id, so they never repeat, even across prefixes. */
  async function insertTicket({ prefix, ticket }: { prefix: string; ticket: NewTicket }): Promise<TicketRow> {
    return db.write(async () => {
      // Inside the write transaction, which runs alone (SQLite's lock, PostgreSQL's advisory lock): no other id in between.
      const [last] = await db.select({ id: max(t.tickets.id) }).from(t.tickets);
      const next = (last?.id ?? 0) + 1;
      return onlyRow(await db.insert(t.tickets).values({ ...ticket, id: next, ref: formatTicketRef({ prefix, number: next }) }).returning());
    });
  }

  async function appendMessage({ message, files = [] }: { message: NewTicketMessage; files?: NewAttachment[] }): Promise<TicketMessageRow> {
    return db.write(async () => {
      const row = onlyRow(await db.insert(t.ticketMessages).values(message).returning());
      if (files.length > 0) await db.insert(t.attachments).values(files.map((file) => ({ ...file, ticketMessageId: row.id })));
      await db.update(t.tickets).set({ updatedAt: message.createdAt }).where(eq(t.tickets.id, message.ticketId));
      return row;
    });
  }

  /** A note for engineers on the ticket (internal, never sent): what happened and why. */
  function appendNote({ ticketId, text, from, at }: { ticketId: number; text: string; from: string; at: Date }): Promise<TicketMessageRow> {
    return appendMessage({
      message: { ticketId, direction: 'outbound', messageId: null, inReplyTo: null, referencesJson: '[]', fromAddress: from, toJson: '[]', subject: '(note)', bodyText: text, inboundId: null, createdAt: at, visibility: 'internal' },
    });
  }

  async function findById(id: number): Promise<TicketRow | undefined> {
    return firstRow(await db.select().from(t.tickets).where(eq(t.tickets.id, id)));
  }

  async function findByRef(ref: string): Promise<TicketRow | undefined> {
    return firstRow(await db.select().from(t.tickets).where(eq(t.tickets.ref, ref.toUpperCase())));
  }

  /** Tickets holding any of these Message-IDs (inbound or outbound), in the order the ids were given. */
  async function findTicketIdsByMessageIds(messageIds: string[]): Promise<number[]> {
    if (messageIds.length === 0) return [];
    const rows = await db
      .select({ ticketId: t.ticketMessages.ticketId, messageId: t.ticketMessages.messageId })
      .from(t.ticketMessages)
      .where(inArray(t.ticketMessages.messageId, messageIds));
    const byId = new Map(rows.map((row) => [row.messageId, row.ticketId]));
    return messageIds.flatMap((id) => (byId.has(id) ? [byId.get(id) as number] : []));
  }

  async function hasMessage({ ticketId, messageId }: { ticketId: number; messageId: string }): Promise<boolean> {
    const rows = await db
      .select({ id: t.ticketMessages.id })
      .from(t.ticketMessages)
      .where(and(eq(t.ticketMessages.ticketId, ticketId), eq(t.ticketMessages.messageId, messageId)))
      .limit(1);
    return rows.length > 0;
  }

  async function listTickets(): Promise<Array<TicketRow & { messageCount: number }>> {
    const rows = await db
      .select({
        ticket: t.tickets,
        // Qualified by hand: drizzle leaves single-table columns unqualified, which the subquery would misread.
        messageCount: sql<unknown>`(select count(*) from ticket_messages where ticket_messages.ticket_id = tickets.id)`,
      })
      .from(t.tickets)
      .orderBy(asc(t.tickets.id));
    return rows.map((row) => ({ ...row.ticket, messageCount: rawNumber(row.messageCount) }));
  }

  async function listMessages(ticketId: number) {
    const messages = await db.select().from(t.ticketMessages).where(eq(t.ticketMessages.ticketId, ticketId)).orderBy(asc(t.ticketMessages.id));
    const files = messages.length
      ? await db
          .select()
          .from(t.attachments)
          .where(
            inArray(
              t.attachments.ticketMessageId,
              messages.map((message) => message.id),
            ),
          )
          .orderBy(asc(t.attachments.id))
      : [];
    return messages.map((message) => ({ ...message, attachments: files.filter((file) => file.ticketMessageId === message.id) }));
  }

  /**
   * Messages whose text, or whose forwarded mail's text (an attachment's `text`), contains `query`
   * (case-insensitive for ASCII at least: `lower()` on both sides, SQLite's folds ASCII only; `%` and `_` are literal). Newest first,
   * at most `limit`.
   */
  async function searchText({ query, limit = 100 }: { query: string; limit?: number }) {
    const pattern = `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    const rows = await rawRows<{ ref: string; subject: string; messageId: unknown; visibility: string; bodyText: string; filename: string | null; attachmentText: string | null }>(
      db,
      sql`
      select t.ref as "ref", t.subject as "subject", m.id as "messageId", m.visibility as "visibility", m.body_text as "bodyText", a.filename as "filename", a.text as "attachmentText"
      from ticket_messages m join tickets t on t.id = m.ticket_id left join attachments a on a.ticket_message_id = m.id and lower(a.text) like lower(${pattern}) escape '\\'
      where lower(m.body_text) like lower(${pattern}) escape '\\' or a.id is not null
      order by m.id desc limit ${limit}`,
    );
    return rows.map((row) => ({ ...row, messageId: rawNumber(row.messageId) }));
  }

  return { insertTicket, appendMessage, appendNote, searchText, findById, findByRef, findTicketIdsByMessageIds, hasMessage, listTickets, listMessages };
}

export type TicketsRepository = ReturnType<typeof createTicketsRepository>;
