import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The last tick of each scheduled job that some instance claimed (issue 18): with several instances on one
 * database, each tick of a job (SLA check, auto-close, held expiry, session sweep) runs in one of them.
 */
export const jobTicks = sqliteTable('job_ticks', {
  job: text('job').primaryKey(),
  /** The scheduled time of the last claimed tick. */
  lastTick: integer('last_tick', { mode: 'timestamp_ms' }).notNull(),
  /** Who claimed it (`host:pid`), for operators. */
  holder: text('holder').notNull(),
  claimedAt: integer('claimed_at', { mode: 'timestamp_ms' }).notNull(),
});
