import { and, asc, eq, gte, inArray, isNotNull, isNull, notInArray } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows } from '../../shared/db-results.js';
import { tickets } from '../tickets/tickets.tables.js';
import { slaEvents } from './sla.tables.js';

export type SlaEventRow = typeof slaEvents.$inferSelect;

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createSlaRepository({ db }: { db: Db }) {
  const t = db.tables({ tickets, slaEvents });

  /** Tickets still waiting for an engineer's first response. */
  async function listAwaitingFirstResponse() {
    return db
      .select()
      .from(t.tickets)
      .where(and(isNull(t.tickets.firstRespondedAt), notInArray(t.tickets.status, ['resolved', 'closed'])))
      .orderBy(asc(t.tickets.id));
  }

  /** Tickets answered at least once and now on us again (new or open) with their update clock running. */
  async function listAwaitingUpdate() {
    return db
      .select()
      .from(t.tickets)
      .where(and(isNotNull(t.tickets.firstRespondedAt), isNotNull(t.tickets.updateClockFrom), inArray(t.tickets.status, ['new', 'open'])))
      .orderBy(asc(t.tickets.id));
  }

  /** The events of these tickets, in the order they were recorded. */
  async function listEvents(ticketIds: number[]): Promise<SlaEventRow[]> {
    if (ticketIds.length === 0) return [];
    return db.select().from(t.slaEvents).where(inArray(t.slaEvents.ticketId, ticketIds)).orderBy(asc(t.slaEvents.id));
  }

  /** Records the event once; false when it was already recorded (by this or another process). */
  async function record(event: Omit<typeof slaEvents.$inferInsert, 'id'>): Promise<boolean> {
    return db.write(async () => changedRows(await db.insert(t.slaEvents).values(event).onConflictDoNothing()) === 1);
  }

  async function listTicketsSince(since: Date | undefined) {
    return db
      .select()
      .from(t.tickets)
      .where(since ? gte(t.tickets.createdAt, since) : undefined)
      .orderBy(asc(t.tickets.id));
  }

  /** First-response breaches (the report's subject; update breaches are in sla_events too), in the order recorded. */
  async function listBreaches(): Promise<SlaEventRow[]> {
    return db
      .select()
      .from(t.slaEvents)
      .where(and(eq(t.slaEvents.kind, 'breach'), eq(t.slaEvents.metric, 'first_response')))
      .orderBy(asc(t.slaEvents.id));
  }

  return { listAwaitingFirstResponse, listAwaitingUpdate, listEvents, record, listTicketsSince, listBreaches };
}

export type SlaRepository = ReturnType<typeof createSlaRepository>;
