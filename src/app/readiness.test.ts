import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, type Db } from '../shared/db.js';
import { checkDatabaseWritable, checkReadiness } from './readiness.js';
import { openTestDatabase, testDialect } from '../../test/support/test-database.js';

const limits = { outboxMaxAgeSeconds: 900, imapGraceSeconds: 300 };
const connected = { connected: true, everConnected: true, disconnectedForMs: 0 };
/** What the database check says of a writable database of this run's dialect. */
const writable = testDialect() === 'sqlite' ? 'writable' : 'writable (the PostgreSQL primary answers)';

describe('readiness', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  async function freshDb(): Promise<Db> {
    const db = await openTestDatabase();
    cleanup.push(() => closeDatabase(db));
    return db;
  }

  it('is ready with a writable database, a connected mailbox and a young outbox', async () => {
    const report = await checkReadiness({ db: await freshDb(), imap: connected, mailboxes: [{ name: 'INBOX', held: true }], oldestPendingAgeSeconds: 12, ...limits });
    expect(report).toEqual({
      ok: true,
      checks: { database: { ok: true, detail: writable }, imap: { ok: true, detail: 'connected' }, outbox: { ok: true, detail: 'oldest pending delivery 12 s old' } },
      mailboxes: [{ name: 'INBOX', held: true }],
    });
  });

  it('is ready as a standby while another instance holds the mailbox lease, and says it does not hold it', async () => {
    const report = await checkReadiness({ db: await freshDb(), imap: { connected: false, everConnected: false, disconnectedForMs: 0, standby: true }, mailboxes: [{ name: 'INBOX', held: false }], oldestPendingAgeSeconds: 0, ...limits });
    expect(report).toMatchObject({ ok: true, checks: { imap: { ok: true, detail: 'standby: another instance holds the mailbox lease and syncs it' } }, mailboxes: [{ name: 'INBOX', held: false }] });
  });

  it('stays ready while a lost IMAP connection is within the grace period, and not after it', async () => {
    const db = await freshDb();
    const within = await checkReadiness({ db, imap: { connected: false, everConnected: true, disconnectedForMs: 299_000 }, oldestPendingAgeSeconds: 0, ...limits });
    expect(within.ok).toBe(true);
    expect(within.checks.imap?.detail).toContain('reconnecting for 299 s');
    const past = await checkReadiness({ db, imap: { connected: false, everConnected: true, disconnectedForMs: 300_000 }, oldestPendingAgeSeconds: 0, ...limits });
    expect(past).toMatchObject({ ok: false, checks: { imap: { ok: false, detail: 'disconnected for 300 s' } } });
  });

  it('is not ready before the first IMAP connection succeeded', async () => {
    const report = await checkReadiness({ db: await freshDb(), imap: { connected: false, everConnected: false, disconnectedForMs: 1_000 }, oldestPendingAgeSeconds: 0, ...limits });
    expect(report).toMatchObject({ ok: false, checks: { imap: { ok: false, detail: 'not connected yet' } } });
  });

  it('is not ready when the oldest pending delivery reached the limit', async () => {
    const report = await checkReadiness({ db: await freshDb(), imap: connected, oldestPendingAgeSeconds: 900, ...limits });
    expect(report).toMatchObject({ ok: false, checks: { outbox: { ok: false, detail: 'oldest pending delivery 900 s old (limit http.readyOutboxMaxAgeSeconds 900)' } } });
  });

  it('checks the LMTP listener when it is configured, and IMAP only when it is', async () => {
    const db = await freshDb();
    const lmtp = { listening: true, host: '127.0.0.1', port: 2424, connections: 1, inHand: 0 };
    const lmtpOnly = await checkReadiness({ db, imap: undefined, lmtp, oldestPendingAgeSeconds: 0, ...limits });
    expect(lmtpOnly).toEqual({
      ok: true,
      checks: { database: { ok: true, detail: writable }, lmtp: { ok: true, detail: 'listening on 127.0.0.1:2424 (1 connections, 0 messages in hand)' }, outbox: { ok: true, detail: 'oldest pending delivery 0 s old' } },
    });
    const closed = await checkReadiness({ db, imap: connected, lmtp: { ...lmtp, listening: false }, oldestPendingAgeSeconds: 0, ...limits });
    expect(closed).toMatchObject({ ok: false, checks: { imap: { ok: true }, lmtp: { ok: false, detail: 'not listening on 127.0.0.1:2424' } } });
  });

  // The two below check SQLite's own write check (a read-only file, another writer's lock): SQLite in both runs.
  it('reports a database opened read-only as not writable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-ready-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'ticketd.sqlite');
    await closeDatabase(openDatabase({ path: file }));
    const sqlite = new Database(file, { readonly: true });
    cleanup.push(() => void sqlite.close());
    const verdict = checkDatabaseWritable(sqlite);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(/READONLY/i);
  });

  it('counts a database locked by another writer as writable and restores the busy timeout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-ready-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'ticketd.sqlite');
    const db = openDatabase({ path: file });
    cleanup.push(() => closeDatabase(db));
    const other = new Database(file);
    cleanup.push(() => void other.close());
    other.exec('BEGIN IMMEDIATE');
    expect(checkDatabaseWritable(db.$writer!)).toEqual({ ok: true, detail: 'writable (locked by another writer just now)' });
    other.exec('ROLLBACK');
    expect(db.$writer!.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
