import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Transactional outbox: effects (an email to send, a page to raise) written in the same transaction as the
 * ticket, delivered afterwards by the worker with retries. `effectKey` makes each intended effect unique.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['email', 'page', 'webhook'] }).notNull(),
    effectKey: text('effect_key').notNull(),
    ticketId: integer('ticket_id'),
    payloadJson: text('payload_json').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    lastError: text('last_error'),
    /** A worker that claimed the row owns it until then; another process (e.g. `ticketd ingest`) skips it. */
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    /** `host:pid` of the worker holding the lease: a lease of a process that died is taken over at once. */
    leaseOwner: text('lease_owner'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (table) => [uniqueIndex('outbox_effect_key_unique').on(table.effectKey), index('outbox_due_idx').on(table.status, table.nextAttemptAt), index('outbox_due_kind_idx').on(table.status, table.kind, table.nextAttemptAt), index('outbox_ticket_idx').on(table.ticketId)],
);
