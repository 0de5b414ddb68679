import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const tickets = sqliteTable(
  'tickets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ref: text('ref').notNull(),
    subject: text('subject').notNull(),
    severity: text('severity', { enum: ['SEV1', 'SEV2', 'SEV3', 'SEV4'] }).notNull(),
    priority: text('priority', { enum: ['Urgent', 'High', 'Normal', 'Low'] }).notNull(),
    status: text('status', { enum: ['new', 'open', 'pending', 'resolved', 'closed'] }).notNull().default('new'),
    requesterEmail: text('requester_email').notNull(),
    requesterName: text('requester_name').notNull().default(''),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    firstRespondedAt: integer('first_responded_at', { mode: 'timestamp_ms' }),
    /**
     * Since when the customer waits for an engineer's update (the update SLA counts from here): the latest
     * public engineer reply, or the customer's return to a pending or resolved ticket. Null before the first response.
     */
    updateClockFrom: integer('update_clock_from', { mode: 'timestamp_ms' }),
    /** The engineer who took the ticket (`#assign me`), by address. */
    assignee: text('assignee'),
    /** When it was last resolved: the auto-close job counts `tickets.autoCloseDays` from here. */
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    /** The closed ticket this one continues (a customer replied to it after it was closed). */
    linkedTicketId: integer('linked_ticket_id'),
    /** Outlook Thread-Index header block (base64) every mail of this ticket carries. */
    threadIndex: text('thread_index'),
  },
  (table) => [uniqueIndex('tickets_ref_unique').on(table.ref), index('tickets_requester_idx').on(table.requesterEmail)],
);

/** Every message of a ticket, inbound (customer mail) and outbound (what we sent), in time order by id. */
export const ticketMessages = sqliteTable(
  'ticket_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    /** Without angle brackets; null for inbound mail that had none. */
    messageId: text('message_id'),
    inReplyTo: text('in_reply_to'),
    referencesJson: text('references_json').notNull().default('[]'),
    fromAddress: text('from_address').notNull(),
    toJson: text('to_json').notNull().default('[]'),
    subject: text('subject').notNull(),
    bodyText: text('body_text').notNull(),
    inboundId: integer('inbound_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    /** `internal`: engineers only (a `#note`, a notification, a system note); never relayed to the customer. */
    visibility: text('visibility', { enum: ['public', 'internal'] }).notNull().default('public'),
    /**
     * Mail from someone outside the requester's organisation who is not a participant, threaded here by the
     * Message-ID it answers: stored `internal` until an engineer lets the sender in (`#participant add`).
     * A flag beside `visibility`, which stays the one answer to "may the customer see this".
     */
    fromOutsideOrganisation: integer('from_outside_organisation', { mode: 'boolean' }).notNull().default(false),
  },
  (table) => [
    // A Message-ID is stored once per ticket: the same mail delivered twice cannot be appended twice.
    uniqueIndex('ticket_messages_ticket_message_id_unique').on(table.ticketId, table.messageId),
    // Threading looks up every stored id, inbound and outbound: keep it indexed.
    index('ticket_messages_message_id_idx').on(table.messageId),
  ],
);

export const attachments = sqliteTable(
  'attachments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ticketMessageId: integer('ticket_message_id')
      .notNull()
      .references(() => ticketMessages.id),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    /** The readable text of a forwarded mail (message/rfc822), kept so `tickets search` finds it; else null. */
    text: text('text'),
  },
  (table) => [index('attachments_message_idx').on(table.ticketMessageId)],
);
