import { sqliteTable, integer, text, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A customer company. Users and approved domains belong to one. */
export const organisations = sqliteTable(
  'organisations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('organisations_name_unique').on(table.name)],
);

/** Approved customer domains: only addresses of these may register (self-service or in bulk). */
export const approvedDomains = sqliteTable('approved_domains', {
  domain: text('domain').primaryKey(),
  organisationId: integer('organisation_id')
    .notNull()
    .references(() => organisations.id),
  /** `config` when seeded from support.customerDomains, `cli` when added by an operator. */
  origin: text('origin', { enum: ['config', 'cli'] }).notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
});

/** People who may open tickets once `verified`. Email is stored lower-cased. */
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    organisationId: integer('organisation_id').references(() => organisations.id),
    status: text('status', { enum: ['pending', 'verified', 'disabled'] }).notNull(),
    /**
     * `member`: sees their own tickets and those they take part in; `manager`: every ticket of their
     * organisation; `engineer`: a person of an engineer domain, signed in to the portal (sees everything).
     */
    role: text('role', { enum: ['member', 'manager', 'engineer'] }).notNull().default('member'),
    verifiedAt: integer('verified_at', { mode: 'timestamp_ms' }),
    /** Set when mail to this address bounced permanently; automatic mail to it stops. */
    bouncingSince: integer('bouncing_since', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [uniqueIndex('users_email_unique').on(table.email), index('users_organisation_idx').on(table.organisationId)],
);

/** Single-use e-mail verification links. Only the sha256 of the token is stored. */
export const verificationTokens = sqliteTable(
  'verification_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    email: text('email').notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [index('verification_tokens_email_idx').on(table.email)],
);

/** Addresses a permanent bounce was received for, user or not. */
export const bouncingAddresses = sqliteTable('bouncing_addresses', {
  address: text('address').primaryKey(),
  reason: text('reason').notNull(),
  ticketId: integer('ticket_id'),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
});
