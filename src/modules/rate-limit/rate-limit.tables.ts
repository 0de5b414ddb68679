import { sqliteTable, integer, text, index } from 'drizzle-orm/sqlite-core';

/**
 * One row per counted event (an automatic reply sent to an address, a sign-up from an IP, a new ticket by a
 * sender). Kept in the database so limits hold across restarts and across `ticketd ingest` processes.
 */
export const rateEvents = sqliteTable(
  'rate_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    bucket: text('bucket').notNull(),
    key: text('key').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('rate_events_lookup_idx').on(table.bucket, table.key, table.at)],
);
