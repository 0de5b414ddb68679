import { and, asc, count, desc, eq, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { firstRow, onlyRow } from '../../shared/db-results.js';
import { inboundMessages, mailboxCursors, outcomeFilter } from './inbound-log.tables.js';

export type InboundRow = typeof inboundMessages.$inferSelect;
export type NewInbound = Omit<typeof inboundMessages.$inferInsert, 'id'>;
type Outcome = InboundRow['outcome'];

/**
 * Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18), except the
 * cursor step's `max`. Every method runs one statement: what every message runs (the UID check, the insert, the
 * cursor step, lookups by id) is on the ingest's hot path (issue 17).
 */
export function createInboundLogRepository({ db }: { db: Db }) {
  const t = db.tables({ inboundMessages, mailboxCursors });
  // SQLite's two-argument max() is PostgreSQL's greatest().
  const greater = (a: unknown, b: unknown) => (db.dialect === 'sqlite' ? sql`max(${a}, ${b})` : sql`greatest(${a}, ${b})`);


  async function findByUid({ source, uidValidity, uid }: { source: string; uidValidity: string; uid: number }): Promise<InboundRow | undefined> {
    return firstRow(
      await db
        .select()
        .from(t.inboundMessages)
        .where(and(eq(t.inboundMessages.source, source), eq(t.inboundMessages.uidValidity, uidValidity), eq(t.inboundMessages.uid, uid))),
    );
  }

  /** An earlier arrival of the same mail that produced a ticket or a reply (by Message-ID, else by content). */
  async function findHandledCopy({ messageId, rawSha256, excludeId = -1 }: { messageId: string | undefined; rawSha256: string; excludeId?: number }): Promise<InboundRow | undefined> {
    const handled = and(outcomeFilter(['ticket', 'reply']), ne(t.inboundMessages.id, excludeId));
    const sameMail = messageId === undefined ? and(isNull(t.inboundMessages.messageId), eq(t.inboundMessages.rawSha256, rawSha256)) : eq(t.inboundMessages.messageId, messageId);
    return firstRow(await db.select().from(t.inboundMessages).where(and(handled, sameMail)).orderBy(asc(t.inboundMessages.id)).limit(1));
  }

  /** The first arrival recorded with exactly these bytes. */
  async function findFirstByRawSha256(rawSha256: string): Promise<InboundRow | undefined> {
    return firstRow(await db.select().from(t.inboundMessages).where(eq(t.inboundMessages.rawSha256, rawSha256)).orderBy(asc(t.inboundMessages.id)).limit(1));
  }

  async function insertInbound(row: NewInbound): Promise<InboundRow> {
    const { uidValidity = null, uid = null, messageId = null, ticketId = null, fromAddress = '', subject = '', reason = '' } = row;
    const values = { source: row.source, rawSha256: row.rawSha256, size: row.size, outcome: row.outcome, receivedAt: row.receivedAt, uidValidity, uid, messageId, ticketId, fromAddress, subject, reason };
    return db.write(async () => onlyRow(await db.insert(t.inboundMessages).values(values).returning()));
  }

  /** A reprocessed message keeps its row (one arrival, one outcome): the outcome is replaced. */
  async function replaceOutcome({ id, ...values }: Pick<InboundRow, 'id' | 'outcome' | 'reason' | 'messageId' | 'fromAddress' | 'subject'>): Promise<InboundRow> {
    return db.write(async () => firstRow(await db.update(t.inboundMessages).set({ ...values, ticketId: null }).where(eq(t.inboundMessages.id, id)).returning()) as InboundRow);
  }

  async function linkTicket({ inboundId, ticketId }: { inboundId: number; ticketId: number }): Promise<void> {
    await db.write(async () => {
      await db.update(t.inboundMessages).set({ ticketId }).where(eq(t.inboundMessages.id, inboundId));
    });
  }

  /** A held message re-run after its sender was verified keeps its row; only the outcome changes. */
  async function updateOutcome({ inboundId, outcome, reason }: { inboundId: number; outcome: Outcome; reason: string }): Promise<void> {
    await db.write(async () => {
      await db.update(t.inboundMessages).set({ outcome, reason }).where(eq(t.inboundMessages.id, inboundId));
    });
  }

  /** Held messages of one sender, in arrival order. */
  async function listHeld(fromAddress: string): Promise<InboundRow[]> {
    return db
      .select()
      .from(t.inboundMessages)
      .where(and(eq(t.inboundMessages.outcome, 'held'), eq(t.inboundMessages.fromAddress, fromAddress.toLowerCase())))
      .orderBy(asc(t.inboundMessages.id));
  }

  async function getCursor(mailbox: string): Promise<typeof mailboxCursors.$inferSelect | undefined> {
    return firstRow(await db.select().from(t.mailboxCursors).where(eq(t.mailboxCursors.mailbox, mailbox)));
  }

  async function saveCursor({ mailbox, uidValidity, lastUid, at }: { mailbox: string; uidValidity: string; lastUid: number; at: Date }): Promise<void> {
    const cursor = t.mailboxCursors;
    await db.write(async () => {
      await db
        .insert(cursor)
        .values({ mailbox, uidValidity, lastUid, updatedAt: at })
        .onConflictDoUpdate({
          target: cursor.mailbox,
          // Only ever forward within one UIDVALIDITY; a new UIDVALIDITY starts over.
          set: {
            lastUid: sql`case when ${cursor.uidValidity} = excluded.uid_validity then ${greater(cursor.lastUid, sql`excluded.last_uid`)} else excluded.last_uid end`,
            uidValidity: sql`excluded.uid_validity`,
            updatedAt: sql`excluded.updated_at`,
          },
        });
    });
  }

  async function findById(id: number): Promise<InboundRow | undefined> {
    return firstRow(await db.select().from(t.inboundMessages).where(eq(t.inboundMessages.id, id)));
  }

  /**
   * Held mail that arrived before `before` becomes quarantined with `reason`: its sender never confirmed.
   * Returns the rows as they were (id, sender), for the log.
   */
  async function expireHeld({ before, reason }: { before: Date; reason: string }): Promise<Array<Pick<InboundRow, 'id' | 'fromAddress'>>> {
    return db.write(
      async () =>
        await db
          .update(t.inboundMessages)
          .set({ outcome: 'quarantined', reason })
          .where(and(eq(t.inboundMessages.outcome, 'held'), lt(t.inboundMessages.receivedAt, before)))
          .returning({ id: t.inboundMessages.id, fromAddress: t.inboundMessages.fromAddress }),
    );
  }

  /** Every held message, oldest first: mail waiting for its sender to register. */
  async function listAllHeld(): Promise<InboundRow[]> {
    return db.select().from(t.inboundMessages).where(eq(t.inboundMessages.outcome, 'held')).orderBy(asc(t.inboundMessages.id));
  }

  async function listQuarantined(): Promise<InboundRow[]> {
    return db.select().from(t.inboundMessages).where(eq(t.inboundMessages.outcome, 'quarantined')).orderBy(desc(t.inboundMessages.id));
  }

  async function countByOutcome(): Promise<Record<string, number>> {
    // drizzle's count() reads as a number on both (PostgreSQL answers count(*) as a string).
    const rows = await db.select({ outcome: t.inboundMessages.outcome, count: count() }).from(t.inboundMessages).groupBy(t.inboundMessages.outcome);
    return Object.fromEntries(rows.map((row) => [row.outcome, row.count]));
  }

  return { expireHeld, findById, findByUid, findHandledCopy, findFirstByRawSha256, insertInbound, replaceOutcome, linkTicket, updateOutcome, listHeld, listAllHeld, getCursor, saveCursor, listQuarantined, countByOutcome };
}

export type InboundLogRepository = ReturnType<typeof createInboundLogRepository>;
