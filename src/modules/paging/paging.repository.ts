import { and, asc, desc, eq, max, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../../shared/db.js';
import { firstRow } from '../../shared/db-results.js';
import type { OutboxPayload } from '../outbox/outbox.repository.js';
import { outbox } from '../outbox/outbox.tables.js';
import type { PagerEvent } from '../pager/pager.types.js';

/**
 * `column` starts with `prefix`, the same on both dialects: case-insensitive for ASCII at least (`lower()` on both
 * sides, as SQLite's `like` always was), with `%`, `_` and `\` in the prefix taken literally (PostgreSQL's `like`
 * escapes with `\` by default, SQLite's not at all: the escape is spelled out).
 */
function startsWith(column: SQLiteColumn, prefix: string): SQL {
  const pattern = `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  return sql`lower(${column}) like lower(${pattern}) escape '\\'`;
}

/** Queries only, over the outbox rows of one ticket: what was paged, with which routing key. Both dialects (issue 18). */
export function createPagingRepository({ db }: { db: Db }) {
  const t = db.tables({ outbox });

  /** The first PagerDuty trigger queued for this dedup key: its routing key is the one every later event must use. */
  async function firstTrigger({ ticketId, dedupKey }: { ticketId: number; dedupKey: string }): Promise<PagerEvent | undefined> {
    const row = firstRow(
      await db
        .select({ payloadJson: t.outbox.payloadJson })
        .from(t.outbox)
        .where(and(eq(t.outbox.ticketId, ticketId), startsWith(t.outbox.effectKey, `page:${dedupKey}:trigger:`)))
        .orderBy(asc(t.outbox.id))
        .limit(1),
    );
    if (!row) return undefined;
    const payload = JSON.parse(row.payloadJson) as OutboxPayload;
    return payload.kind === 'page' ? payload.event : undefined;
  }

  /** Id of the newest row whose effect key starts with one of `prefixes`: the alert incarnation a follow-up belongs to. */
  async function latestId({ ticketId, prefixes }: { ticketId: number; prefixes: string[] }): Promise<number | undefined> {
    const row = firstRow(
      await db
        .select({ id: t.outbox.id })
        .from(t.outbox)
        .where(and(eq(t.outbox.ticketId, ticketId), or(...prefixes.map((prefix) => startsWith(t.outbox.effectKey, prefix)))))
        .orderBy(desc(t.outbox.id))
        .limit(1),
    );
    return row?.id;
  }

  /** When the ticket's latest waiting effect is due (a page deferred to business hours), if any. */
  async function latestPendingAt({ ticketId }: { ticketId: number }): Promise<Date | undefined> {
    // drizzle's max() of a column is read back through the column: a Date on both dialects.
    const row = firstRow(
      await db
        .select({ at: max(t.outbox.nextAttemptAt) })
        .from(t.outbox)
        .where(and(eq(t.outbox.ticketId, ticketId), eq(t.outbox.status, 'pending'), or(eq(t.outbox.kind, 'page'), eq(t.outbox.kind, 'webhook')))),
    );
    return row?.at ?? undefined;
  }

  return { firstTrigger, latestId, latestPendingAt };
}

export type PagingRepository = ReturnType<typeof createPagingRepository>;
