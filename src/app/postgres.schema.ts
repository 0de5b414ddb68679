/**
 * The PostgreSQL schema (issue 18): every module's SQLite tables, converted by src/shared/postgres-tables.ts.
 * drizzle-kit reads this file (drizzle.postgres.config.ts) to generate migrations/postgres/; a test checks it holds
 * every table the SQLite migrations create, so a new `*.tables.ts` cannot be forgotten here.
 */
import { is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import * as accountsTables from '../modules/accounts/accounts.tables.js';
import * as customersTables from '../modules/customers/customers.tables.js';
import * as inboundLogTables from '../modules/inbound-log/inbound-log.tables.js';
import * as jobTicksTables from '../modules/jobs/job-ticks.tables.js';
import * as outboxTables from '../modules/outbox/outbox.tables.js';
import * as rateLimitTables from '../modules/rate-limit/rate-limit.tables.js';
import * as slaTables from '../modules/sla/sla.tables.js';
import * as blobsTables from '../modules/store/blobs.tables.js';
import * as participantsTables from '../modules/tickets/participants.tables.js';
import * as ticketsTables from '../modules/tickets/tickets.tables.js';
import { toPostgresTables } from '../shared/postgres-tables.js';

/** Every SQLite table the modules define, by export name. */
export const sqliteTables: Record<string, SQLiteTable> = Object.fromEntries(
  [accountsTables, customersTables, inboundLogTables, jobTicksTables, outboxTables, rateLimitTables, slaTables, blobsTables, participantsTables, ticketsTables].flatMap((module) => Object.entries(module).filter(([, value]) => is(value, SQLiteTable))),
) as Record<string, SQLiteTable>;

export const postgresTables = toPostgresTables(sqliteTables);

// drizzle-kit finds the tables among this file's exports.
export const {
  passwords,
  sessions,
  passwordTokens,
  organisations,
  approvedDomains,
  users,
  verificationTokens,
  bouncingAddresses,
  inboundMessages,
  mailboxCursors,
  mailboxLeases,
  instances,
  jobTicks,
  outbox,
  rateEvents,
  slaEvents,
  blobs,
  ticketParticipants,
  tickets,
  ticketMessages,
  attachments,
} = postgresTables;
