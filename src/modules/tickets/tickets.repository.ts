import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { asyncRepository, preparedPerConnection, type Db } from '../../shared/db.js';
import { formatTicketRef } from '../desk/ticket.models.js';
import { attachments, ticketMessages, tickets } from './tickets.tables.js';

export type TicketRow = typeof tickets.$inferSelect;
export type TicketMessageRow = typeof ticketMessages.$inferSelect;
export type NewTicket = Omit<typeof tickets.$inferInsert, 'id' | 'ref'>;
export type NewTicketMessage = Omit<typeof ticketMessages.$inferInsert, 'id'>;
export type NewAttachment = Omit<typeof attachments.$inferInsert, 'id' | 'ticketMessageId'>;

/** Queries only; callers own the transaction. What every message runs is prepared once per connection. */
export function createTicketsRepository({ db }: { db: Db }) {
  const nextId = preparedPerConnection(db, (connection) =>
    connection.$client.prepare<[], { next: number }>('select coalesce(max(id), 0) + 1 as next from tickets'),
  );
  const byId = preparedPerConnection(db, (connection) =>
    connection.select().from(tickets).where(eq(tickets.id, sql.placeholder('id'))).prepare(),
  );
  const byRef = preparedPerConnection(db, (connection) =>
    connection.select().from(tickets).where(eq(tickets.ref, sql.placeholder('ref'))).prepare(),
  );
  const touch = preparedPerConnection(db, (connection) =>
    connection
      .update(tickets)
      .set({ updatedAt: sql`${sql.placeholder('at')}` })
      .where(eq(tickets.id, sql.placeholder('id')))
      .prepare(),
  );

  /** Refs are PREFIX-N with N the row id, so they never repeat, even across prefixes. */
  function insertTicket({ prefix, ticket }: { prefix: string; ticket: NewTicket }): TicketRow {
    const next = (nextId().get() as { next: number }).next;
    return db
      .insert(tickets)
      .values({ ...ticket, id: next, ref: formatTicketRef({ prefix, number: next }) })
      .returning()
      .get();
  }

  function appendMessage({ message, files = [] }: { message: NewTicketMessage; files?: NewAttachment[] }): TicketMessageRow {
    const row = db.insert(ticketMessages).values(message).returning().get();
    for (const file of files) db.insert(attachments).values({ ...file, ticketMessageId: row.id }).run();
    // A placeholder outside a column's values is bound as is: milliseconds, as the column stores them.
    touch().run({ at: message.createdAt.getTime(), id: message.ticketId });
    return row;
  }

  /** A note for engineers on the ticket (internal, never sent): what happened and why. */
  function appendNote({ ticketId, text, from, at }: { ticketId: number; text: string; from: string; at: Date }): TicketMessageRow {
    return appendMessage({
      message: { ticketId, direction: 'outbound', messageId: null, inReplyTo: null, referencesJson: '[]', fromAddress: from, toJson: '[]', subject: '(note)', bodyText: text, inboundId: null, createdAt: at, visibility: 'internal' },
    });
  }

  function findById(id: number): TicketRow | undefined {
    return byId().get({ id });
  }

  function findByRef(ref: string): TicketRow | undefined {
    return byRef().get({ ref: ref.toUpperCase() });
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

  /**
   * Messages whose text, or whose forwarded mail's text (an attachment's `text`), contains `query`
   * (case-insensitive for ASCII, as SQLite's LIKE; `%` and `_` are literal). Newest first, at most `limit`.
   */
  function searchText({ query, limit = 100 }: { query: string; limit?: number }) {
    const pattern = `%${query.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    return db.all<{ ref: string; subject: string; messageId: number; visibility: string; bodyText: string; filename: string | null; attachmentText: string | null }>(sql`
      select t.ref as ref, t.subject as subject, m.id as messageId, m.visibility as visibility, m.body_text as bodyText, a.filename as filename, a.text as attachmentText
      from ticket_messages m join tickets t on t.id = m.ticket_id left join attachments a on a.ticket_message_id = m.id and a.text like ${pattern} escape '\\'
      where m.body_text like ${pattern} escape '\\' or a.id is not null
      order by m.id desc limit ${limit}`);
  }

  return asyncRepository(
    db,
    { insertTicket, appendMessage, appendNote, searchText, findById, findByRef, findTicketIdsByMessageIds, hasMessage, listTickets, listMessages },
    ['insertTicket', 'appendMessage', 'appendNote'],
  );
}

export type TicketsRepository = ReturnType<typeof createTicketsRepository>;
