import { and, asc, desc, eq, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import { asyncRepository, preparedPerConnection, type Db } from '../../shared/db.js';
import { inboundMessages, mailboxCursors, outcomeFilter } from './inbound-log.tables.js';

export type InboundRow = typeof inboundMessages.$inferSelect;
export type NewInbound = Omit<typeof inboundMessages.$inferInsert, 'id'>;

/**
 * Queries only; callers own the transaction. The statements every message runs (the UID check, the insert, the
 * cursor step, lookups by id) are built once per connection and prepared (drizzle `.prepare()`), not rebuilt per call.
 */
export function createInboundLogRepository({ db }: { db: Db }) {
  const byUid = preparedPerConnection(db, (connection) =>
    connection
      .select()
      .from(inboundMessages)
      .where(and(eq(inboundMessages.source, sql.placeholder('source')), eq(inboundMessages.uidValidity, sql.placeholder('uidValidity')), eq(inboundMessages.uid, sql.placeholder('uid'))))
      .prepare(),
  );
  const byId = preparedPerConnection(db, (connection) =>
    connection.select().from(inboundMessages).where(eq(inboundMessages.id, sql.placeholder('id'))).prepare(),
  );
  const cursorOf = preparedPerConnection(db, (connection) =>
    connection.select().from(mailboxCursors).where(eq(mailboxCursors.mailbox, sql.placeholder('mailbox'))).prepare(),
  );
  const insertRow = preparedPerConnection(db, (connection) =>
    connection
      .insert(inboundMessages)
      .values({
        source: sql.placeholder('source'),
        uidValidity: sql.placeholder('uidValidity'),
        uid: sql.placeholder('uid'),
        messageId: sql.placeholder('messageId'),
        rawSha256: sql.placeholder('rawSha256'),
        size: sql.placeholder('size'),
        fromAddress: sql.placeholder('fromAddress'),
        subject: sql.placeholder('subject'),
        outcome: sql.placeholder('outcome'),
        reason: sql.placeholder('reason'),
        ticketId: sql.placeholder('ticketId'),
        receivedAt: sql.placeholder('receivedAt'),
      })
      .returning()
      .prepare(),
  );
  const cursorStep = preparedPerConnection(db, (connection) =>
    connection
      .insert(mailboxCursors)
      .values({ mailbox: sql.placeholder('mailbox'), uidValidity: sql.placeholder('uidValidity'), lastUid: sql.placeholder('lastUid'), updatedAt: sql.placeholder('updatedAt') })
      .onConflictDoUpdate({
        target: mailboxCursors.mailbox,
        // Only ever forward within one UIDVALIDITY; a new UIDVALIDITY starts over.
        set: {
          lastUid: sql`case when ${mailboxCursors.uidValidity} = excluded.uid_validity then max(${mailboxCursors.lastUid}, excluded.last_uid) else excluded.last_uid end`,
          uidValidity: sql`excluded.uid_validity`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .prepare(),
  );

  function findByUid({ source, uidValidity, uid }: { source: string; uidValidity: string; uid: number }): InboundRow | undefined {
    return byUid().get({ source, uidValidity, uid });
  }

  /** An earlier arrival of the same mail that produced a ticket or a reply (by Message-ID, else by content). */
  function findHandledCopy({ messageId, rawSha256, excludeId = -1 }: { messageId: string | undefined; rawSha256: string; excludeId?: number }): InboundRow | undefined {
    const handled = and(outcomeFilter(['ticket', 'reply']), ne(inboundMessages.id, excludeId));
    const sameMail = messageId === undefined ? and(isNull(inboundMessages.messageId), eq(inboundMessages.rawSha256, rawSha256)) : eq(inboundMessages.messageId, messageId);
    return db.select().from(inboundMessages).where(and(handled, sameMail)).orderBy(asc(inboundMessages.id)).get();
  }

  /** The first arrival recorded with exactly these bytes. */
  function findFirstByRawSha256(rawSha256: string): InboundRow | undefined {
    return db.select().from(inboundMessages).where(eq(inboundMessages.rawSha256, rawSha256)).orderBy(asc(inboundMessages.id)).get();
  }

  function insertInbound(row: NewInbound): InboundRow {
    const { uidValidity = null, uid = null, messageId = null, ticketId = null, fromAddress = '', subject = '', reason = '' } = row;
    return insertRow().get({ source: row.source, rawSha256: row.rawSha256, size: row.size, outcome: row.outcome, receivedAt: row.receivedAt, uidValidity, uid, messageId, ticketId, fromAddress, subject, reason }) as InboundRow;
  }

  /** A reprocessed message keeps its row (one arrival, one outcome): the outcome is replaced. */
  function replaceOutcome({ id, ...values }: Pick<InboundRow, 'id' | 'outcome' | 'reason' | 'messageId' | 'fromAddress' | 'subject'>): InboundRow {
    return db.update(inboundMessages).set({ ...values, ticketId: null }).where(eq(inboundMessages.id, id)).returning().get() as InboundRow;
  }

  function linkTicket({ inboundId, ticketId }: { inboundId: number; ticketId: number }): void {
    db.update(inboundMessages).set({ ticketId }).where(eq(inboundMessages.id, inboundId)).run();
  }

  /** A held message re-run after its sender was verified keeps its row; only the outcome changes. */
  function updateOutcome({ inboundId, outcome, reason }: { inboundId: number; outcome: InboundRow['outcome']; reason: string }): void {
    db.update(inboundMessages).set({ outcome, reason }).where(eq(inboundMessages.id, inboundId)).run();
  }

  /** Held messages of one sender, in arrival order. */
  function listHeld(fromAddress: string): InboundRow[] {
    return db
      .select()
      .from(inboundMessages)
      .where(and(eq(inboundMessages.outcome, 'held'), eq(inboundMessages.fromAddress, fromAddress.toLowerCase())))
      .orderBy(asc(inboundMessages.id))
      .all();
  }

  function getCursor(mailbox: string) {
    return cursorOf().get({ mailbox });
  }

  function saveCursor({ mailbox, uidValidity, lastUid, at }: { mailbox: string; uidValidity: string; lastUid: number; at: Date }): void {
    cursorStep().run({ mailbox, uidValidity, lastUid, updatedAt: at });
  }

  function findById(id: number): InboundRow | undefined {
    return byId().get({ id });
  }

  /**
   * Held mail that arrived before `before` becomes quarantined with `reason`: its sender never confirmed.
   * Returns the rows as they were (id, sender), for the log.
   */
  function expireHeld({ before, reason }: { before: Date; reason: string }): Array<Pick<InboundRow, 'id' | 'fromAddress'>> {
    return db
      .update(inboundMessages)
      .set({ outcome: 'quarantined', reason })
      .where(and(eq(inboundMessages.outcome, 'held'), lt(inboundMessages.receivedAt, before)))
      .returning({ id: inboundMessages.id, fromAddress: inboundMessages.fromAddress })
      .all();
  }

  /** Every held message, oldest first: mail waiting for its sender to register. */
  function listAllHeld(): InboundRow[] {
    return db.select().from(inboundMessages).where(eq(inboundMessages.outcome, 'held')).orderBy(asc(inboundMessages.id)).all();
  }

  function listQuarantined(): InboundRow[] {
    return db.select().from(inboundMessages).where(eq(inboundMessages.outcome, 'quarantined')).orderBy(desc(inboundMessages.id)).all();
  }

  function countByOutcome(): Record<string, number> {
    const rows = db
      .select({ outcome: inboundMessages.outcome, count: sql<number>`count(*)` })
      .from(inboundMessages)
      .groupBy(inboundMessages.outcome)
      .all();
    return Object.fromEntries(rows.map((row) => [row.outcome, row.count]));
  }

  return asyncRepository(
    db,
    { expireHeld, findById, findByUid, findHandledCopy, findFirstByRawSha256, insertInbound, replaceOutcome, linkTicket, updateOutcome, listHeld, listAllHeld, getCursor, saveCursor, listQuarantined, countByOutcome },
    ['expireHeld', 'insertInbound', 'replaceOutcome', 'linkTicket', 'updateOutcome', 'saveCursor'],
  );
}

export type InboundLogRepository = ReturnType<typeof createInboundLogRepository>;
