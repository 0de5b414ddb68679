import { inArray, sql } from 'drizzle-orm';
import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * One row for every message that arrived, whatever became of it: its single recorded outcome.
 * The unique (mailbox, uid_validity, uid) key makes a second ingest of the same IMAP message impossible.
 */
export const inboundMessages = sqliteTable(
  'inbound_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** IMAP folder name, or `file` for `ticketd ingest`. */
    source: text('source').notNull(),
    uidValidity: text('uid_validity'),
    uid: integer('uid'),
    /** The raw source in the raw store (content-addressed by this sha256). */
    rawSha256: text('raw_sha256').notNull(),
    size: integer('size').notNull(),
    messageId: text('message_id'),
    fromAddress: text('from_address').notNull().default(''),
    subject: text('subject').notNull().default(''),
    outcome: text('outcome', { enum: ['ticket', 'reply', 'bounce', 'auto-reply', 'quarantined', 'duplicate', 'held'] }).notNull(),
    reason: text('reason').notNull().default(''),
    ticketId: integer('ticket_id'),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('inbound_source_uid_unique').on(table.source, table.uidValidity, table.uid),
    index('inbound_message_id_idx').on(table.messageId),
    index('inbound_outcome_idx').on(table.outcome),
    index('inbound_raw_sha256_idx').on(table.rawSha256),
  ],
);

/**
 * `outcome IN (...)` that filters rows found by a selective index without choosing the plan. Without
 * statistics SQLite prefers inbound_outcome_idx for an IN on outcome, and 'ticket'/'reply' are most of the
 * table: a lookup by Message-ID became a walk over every ticket (143 ms per mail at 1M messages). Concatenating
 * '' keeps the column out of index selection on both dialects (SQLite's unary plus did that, but PostgreSQL has
 * no `+` for text). Use it wherever the outcome is not the selective part; the column names the same on both.
 */
export const outcomeFilter = (outcomes: Array<(typeof inboundMessages.$inferSelect)['outcome']>) => inArray(sql`'' || ${inboundMessages.outcome}`, outcomes);

/** Where the IMAP sync stands per folder. UIDVALIDITY is a 32-bit unsigned value: kept as text. */
export const mailboxCursors = sqliteTable('mailbox_cursors', {
  mailbox: text('mailbox').primaryKey(),
  uidValidity: text('uid_validity').notNull(),
  lastUid: integer('last_uid').notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * Who syncs a mailbox (issue 18): one row per mailbox, held by one process at a time. `holder` is
 * `host:pid`; `token` grows by one on every take, so a process that lost the lease without noticing (stalled,
 * cut off) is fenced out: its ingest transaction checks its token before it records anything.
 */
export const mailboxLeases = sqliteTable('mailbox_leases', {
  mailbox: text('mailbox').primaryKey(),
  holder: text('holder').notNull(),
  token: integer('token').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  takenAt: integer('taken_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * The instances syncing mailboxes now (issue 18): each renews its row with its leases, so all can see how many
 * share the mailboxes and hand one over when they hold more than their part.
 */
export const instances = sqliteTable('instances', {
  holder: text('holder').primaryKey(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  seenAt: integer('seen_at', { mode: 'timestamp_ms' }).notNull(),
});
