import { sqliteTable, integer, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tickets } from '../tickets/tickets.tables.js';

/**
 * SLA events recorded by the checker: a warning (the share sla.warnAtPercent of a target passed without an
 * engineer's reply) and a breach (the target passed), for the first response and for each wait for an update.
 * Unique per ticket, metric, kind and cycle, so each is acted on once, whatever the number of checker passes
 * or processes.
 */
export const slaEvents = sqliteTable(
  'sla_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id),
    metric: text('metric', { enum: ['first_response', 'update'] }).notNull(),
    /** Which wait it is about: 0 for the first response; for updates the wait's start (update_clock_from, ms). */
    cycle: integer('cycle').notNull().default(0),
    kind: text('kind', { enum: ['warning', 'breach'] }).notNull(),
    severity: text('severity', { enum: ['SEV1', 'SEV2', 'SEV3', 'SEV4'] }).notNull(),
    target: text('target').notNull(),
    dueAt: integer('due_at', { mode: 'timestamp_ms' }).notNull(),
    recordedAt: integer('recorded_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('sla_events_ticket_metric_kind_cycle_unique').on(table.ticketId, table.metric, table.kind, table.cycle)],
);
