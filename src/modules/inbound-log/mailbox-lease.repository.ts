import { and, eq, lt, or, sql } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { mailboxLeases } from './inbound-log.tables.js';

export type MailboxLeaseRow = typeof mailboxLeases.$inferSelect;

/**
 * The mailbox leases (issue 18): which process syncs which mailbox. Each write is one statement, atomic on its
 * own, so no caller needs a transaction around it; `holds` is meant for inside the ingest transaction (the fence).
 */
export function createMailboxLeaseRepository({ db }: { db: Db }) {
  /**
   * Takes the lease when it is free, expired, held by `holder` itself, or held by one of `takeoverFrom` (processes
   * known to be gone); every take draws a new token. Answers the token, or undefined when someone else holds it.
   */
  function take({ mailbox, holder, now, ttlMs, takeoverFrom = [] }: { mailbox: string; holder: string; now: Date; ttlMs: number; takeoverFrom?: string[] }): number | undefined {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const takeable = or(lt(mailboxLeases.expiresAt, now), eq(mailboxLeases.holder, holder), ...takeoverFrom.map((gone) => eq(mailboxLeases.holder, gone)));
    return db
      .insert(mailboxLeases)
      .values({ mailbox, holder, token: 1, expiresAt, takenAt: now })
      .onConflictDoUpdate({ target: mailboxLeases.mailbox, set: { holder, token: sql`${mailboxLeases.token} + 1`, expiresAt, takenAt: now }, setWhere: takeable })
      .returning({ token: mailboxLeases.token })
      .get()?.token;
  }

  /** Extends a held lease; false when it is no longer this holder's with this token (taken over meanwhile). */
  function renew({ mailbox, holder, token, now, ttlMs }: { mailbox: string; holder: string; token: number; now: Date; ttlMs: number }): boolean {
    const expiresAt = new Date(now.getTime() + ttlMs);
    return db.update(mailboxLeases).set({ expiresAt }).where(and(eq(mailboxLeases.mailbox, mailbox), eq(mailboxLeases.holder, holder), eq(mailboxLeases.token, token))).run().changes === 1;
  }

  /** Lets a held lease go at once (a clean stop), so another instance need not wait for it to expire. */
  function release({ mailbox, holder, token }: { mailbox: string; holder: string; token: number }): boolean {
    return db.update(mailboxLeases).set({ expiresAt: new Date(0) }).where(and(eq(mailboxLeases.mailbox, mailbox), eq(mailboxLeases.holder, holder), eq(mailboxLeases.token, token))).run().changes === 1;
  }

  /** Whether `holder` still holds the lease under `token` (even past its expiry, as long as nobody took it). */
  function holds({ mailbox, holder, token }: { mailbox: string; holder: string; token: number }): boolean {
    return db.select({ token: mailboxLeases.token }).from(mailboxLeases).where(and(eq(mailboxLeases.mailbox, mailbox), eq(mailboxLeases.holder, holder), eq(mailboxLeases.token, token))).get() !== undefined;
  }

  function find(mailbox: string): MailboxLeaseRow | undefined {
    return db.select().from(mailboxLeases).where(eq(mailboxLeases.mailbox, mailbox)).get();
  }

  return asyncRepository(db, { take, renew, release, holds, find }, ['take', 'renew', 'release']);
}

export type MailboxLeaseRepository = ReturnType<typeof createMailboxLeaseRepository>;
