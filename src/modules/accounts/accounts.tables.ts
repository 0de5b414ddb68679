import { sqliteTable, integer, text, index } from 'drizzle-orm/sqlite-core';
import { users } from '../customers/customers.tables.js';

/** A user's portal password: an argon2id PHC string (algorithm, parameters, salt and hash in one). */
export const passwords = sqliteTable('passwords', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id),
  hash: text('hash').notNull(),
  changedAt: integer('changed_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * Server-side portal sessions. The cookie holds a 128-bit random id; only its sha256 is stored, so a copy of
 * the database signs nobody in. A session ends when idle too long, when too old, at logout, and when its
 * user's password changes.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('sessions_user_idx').on(table.userId)],
);

/** Single-use links that set a password: `reset` (30 minutes) and `welcome` (users add|import --welcome). Only the sha256 is stored. */
export const passwordTokens = sqliteTable(
  'password_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    purpose: text('purpose', { enum: ['reset', 'welcome'] }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('password_tokens_user_idx').on(table.userId)],
);
