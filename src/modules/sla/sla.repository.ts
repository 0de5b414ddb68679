import { and, asc, gte, inArray, isNotNull, isNull, notInArray } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { tickets } from '../tickets/tickets.tables.js';
import { slaEvents } from './sla.tables.js';

export type SlaEventRow = typeof slaEvents.$inferSelect;

/** Queries only; callers own the transaction. */
export function createSlaRepository({ db }: { db: Db }) {
  /** Tickets still waiting for an engineer's first response. */
  function listAwaitingFirstResponse() {
    return db
      .select()
      .from(tickets)
      .where(and(isNull(tickets.firstRespondedAt), notInArray(tickets.status, ['resolved', 'closed'])))
      .orderBy(asc(tickets.id))
      .all();
  }

  /** Tickets answered at least once and now on us again (new or open) with their update clock running. */
  function listAwaitingUpdate() {
    return db
      .select()
      .from(tickets)
      .where(and(isNotNull(tickets.firstRespondedAt), isNotNull(tickets.updateClockFrom), inArray(tickets.status, ['new', 'open'])))
      .orderBy(asc(tickets.id))
      .all();
  }

  function listEvents(ticketIds: number[]): SlaEventRow[] {
    if (ticketIds.length === 0) return [];
    return db.select().from(slaEvents).where(inArray(slaEvents.ticketId, ticketIds)).all();
  }

  /** Records the event once; false when it was already recorded (by this or another process). */
  function record(event: Omit<typeof slaEvents.$inferInsert, 'id'>): boolean {
    return db.insert(slaEvents).values(event).onConflictDoNothing().run().changes === 1;
  }

  function listTicketsSince(since: Date | undefined) {
    const query = db.select().from(tickets);
    return (since ? query.where(gte(tickets.createdAt, since)) : query).orderBy(asc(tickets.id)).all();
  }

  /** First-response breaches (the report's subject; update breaches are in sla_events too). */
  function listBreaches(): SlaEventRow[] {
    return db.select().from(slaEvents).all().filter((event) => event.kind === 'breach' && event.metric === 'first_response');
  }

  return asyncRepository(db, { listAwaitingFirstResponse, listAwaitingUpdate, listEvents, record, listTicketsSince, listBreaches }, ['record']);
}

export type SlaRepository = ReturnType<typeof createSlaRepository>;
