import { accessSync, constants } from 'node:fs';
import type { Db } from '../shared/db.js';
import type Sqlite from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { rawRows } from '../shared/db-results.js';
import type { HealthReport } from './web/web.context.js';

/** `standby`: another instance holds the mailbox's lease and syncs it; this one takes over if that one stops. */
export type ImapReadiness = { connected: boolean; everConnected: boolean; disconnectedForMs: number; standby?: boolean };
export type LmtpReadiness = { listening: boolean; host: string; port: number; connections: number; inHand: number };

/**
 * `/readyz`: ready while the database takes writes, IMAP is connected (or lost for less than the grace
 * period after having worked), the LMTP listener listens, and the outbox moves (its oldest pending row is
 * younger than the limit). IMAP and LMTP are checked only when configured.
 */
export async function checkReadiness({
  db,
  imap,
  lmtp,
  mailboxes = [],
  oldestPendingAgeSeconds,
  outboxMaxAgeSeconds,
  imapGraceSeconds,
}: {
  db: Db;
  imap: ImapReadiness | undefined;
  lmtp?: LmtpReadiness | undefined;
  /** The mailboxes this instance may sync, and whether it holds each one's lease now. */
  mailboxes?: Array<{ name: string; held: boolean }>;
  oldestPendingAgeSeconds: number;
  outboxMaxAgeSeconds: number;
  imapGraceSeconds: number;
}): Promise<HealthReport> {
  const database = await checkDatabase(db);
  const imapCheck = !imap
    ? undefined
    : imap.standby
      ? { ok: true, detail: 'standby: another instance holds the mailbox lease and syncs it' }
      : imap.connected
        ? { ok: true, detail: 'connected' }
      : imap.everConnected && imap.disconnectedForMs < imapGraceSeconds * 1000
        ? { ok: true, detail: `reconnecting for ${Math.round(imap.disconnectedForMs / 1000)} s (limit http.readyImapGraceSeconds ${imapGraceSeconds})` }
        : { ok: false, detail: imap.everConnected ? `disconnected for ${Math.round(imap.disconnectedForMs / 1000)} s` : 'not connected yet' };
  const lmtpCheck = !lmtp
    ? undefined
    : lmtp.listening
      ? { ok: true, detail: `listening on ${lmtp.host}:${lmtp.port} (${lmtp.connections} connections, ${lmtp.inHand} messages in hand)` }
      : { ok: false, detail: `not listening on ${lmtp.host}:${lmtp.port}` };
  const age = Math.round(oldestPendingAgeSeconds);
  const outbox =
    oldestPendingAgeSeconds < outboxMaxAgeSeconds
      ? { ok: true, detail: `oldest pending delivery ${age} s old` }
      : { ok: false, detail: `oldest pending delivery ${age} s old (limit http.readyOutboxMaxAgeSeconds ${outboxMaxAgeSeconds})` };
  const checks = { database, ...(imapCheck ? { imap: imapCheck } : {}), ...(lmtpCheck ? { lmtp: lmtpCheck } : {}), outbox };
  return { ok: Object.values(checks).every((check) => check.ok), checks, ...(imap ? { mailboxes } : {}) };
}

/**
 * The database takes writes. SQLite: the check below on the writer connection. PostgreSQL: the server answers
 * on the pool and is a primary (a standby in recovery refuses every write).
 */
export async function checkDatabase(db: Db): Promise<{ ok: boolean; detail: string }> {
  if (db.$writer) return checkDatabaseWritable(db.$writer);
  try {
    const [row] = await rawRows<{ recovery: boolean }>(db, sql`select pg_is_in_recovery() as "recovery"`);
    return row?.recovery ? { ok: false, detail: 'read-only: the PostgreSQL server is a standby in recovery' } : { ok: true, detail: 'writable (the PostgreSQL primary answers)' };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ok: false, detail: `${code ?? 'error'}: ${(error as Error).message}` };
  }
}

/**
 * The file is writable by this process and the write lock can be taken (then let go, changing nothing). Another process holding the lock right now means it is writable, just busy.
 */
export function checkDatabaseWritable(sqlite: Sqlite.Database): { ok: boolean; detail: string } {
  if (sqlite.readonly) return { ok: false, detail: 'SQLITE_READONLY: the database is open read-only' };
  if (sqlite.name !== ':memory:' && sqlite.name !== '') {
    try {
      accessSync(sqlite.name, constants.W_OK);
    } catch (error) {
      return { ok: false, detail: `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${sqlite.name} is not writable` };
    }
  }
  // One of our own transactions is open on it (between two of its awaits): it holds the write lock, so it can write.
  if (sqlite.inTransaction) return { ok: true, detail: 'writable (a transaction of this process is open)' };
  const previousTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number;
  sqlite.pragma('busy_timeout = 250');
  try {
    sqlite.exec('BEGIN IMMEDIATE');
    sqlite.exec('ROLLBACK');
    return { ok: true, detail: 'writable' };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY') return { ok: true, detail: 'writable (locked by another writer just now)' };
    return { ok: false, detail: `${code ?? 'error'}: ${(error as Error).message}` };
  } finally {
    sqlite.pragma(`busy_timeout = ${previousTimeout}`);
  }
}
