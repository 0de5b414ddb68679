import { sqliteTable, integer, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { tickets } from './tickets.tables.js';

/**
 * The customer-side people of a ticket besides the requester: colleagues of the same organisation in To/Cc,
 * anyone (of any domain) the requester put in To/Cc, and whoever an engineer let in (`#participant add`,
 * `ticketd participants add`). They may write on the ticket and receive the engineers' relayed replies in Cc.
 */
export const ticketParticipants = sqliteTable(
  'ticket_participants',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id),
    address: text('address').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('ticket_participants_unique').on(table.ticketId, table.address)],
);
