import { and, asc, desc, eq, like, or, sql } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import type { OutboxPayload } from '../outbox/outbox.repository.js';
import { outbox } from '../outbox/outbox.tables.js';
import type { PagerEvent } from '../pager/pager.types.js';

/** Queries only, over the outbox rows of one ticket: what was paged, with which routing key. */
export function createPagingRepository({ db }: { db: Db }) {
  /** The first PagerDuty trigger queued for this dedup key: its routing key is the one every later event must use. */
  function firstTrigger({ ticketId, dedupKey }: { ticketId: number; dedupKey: string }): PagerEvent | undefined {
    const row = db
      .select({ payloadJson: outbox.payloadJson })
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticketId), like(outbox.effectKey, `page:${dedupKey}:trigger:%`)))
      .orderBy(asc(outbox.id))
      .get();
    if (!row) return undefined;
    const payload = JSON.parse(row.payloadJson) as OutboxPayload;
    return payload.kind === 'page' ? payload.event : undefined;
  }

  /** Id of the newest row whose effect key starts with one of `prefixes`: the alert incarnation a follow-up belongs to. */
  function latestId({ ticketId, prefixes }: { ticketId: number; prefixes: string[] }): number | undefined {
    const row = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticketId), or(...prefixes.map((prefix) => like(outbox.effectKey, `${prefix}%`)))))
      .orderBy(desc(outbox.id))
      .get();
    return row?.id;
  }

  /** When the ticket's latest waiting effect is due (a page deferred to business hours), if any. */
  function latestPendingAt({ ticketId }: { ticketId: number }): Date | undefined {
    const row = db
      .select({ at: sql<number | null>`max(${outbox.nextAttemptAt})` })
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticketId), eq(outbox.status, 'pending'), or(eq(outbox.kind, 'page'), eq(outbox.kind, 'webhook'))))
      .get();
    return row?.at === null || row?.at === undefined ? undefined : new Date(row.at);
  }

  return asyncRepository(db, { firstTrigger, latestId, latestPendingAt }, []);
}

export type PagingRepository = ReturnType<typeof createPagingRepository>;
