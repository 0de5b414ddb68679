import { and, count, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows, firstRow } from '../../shared/db-results.js';
import { instances, mailboxLeases } from './inbound-log.tables.js';

export type MailboxLeaseRow = typeof mailboxLeases.$inferSelect;

/** How long the presence row of an instance that died is kept (far longer than any lease it may have left). */
const PRESENCE_KEPT_MS = 24 * 3_600_000;

/**
 * The mailbox leases (issue 18): which process syncs which mailbox. Each write is one statement, atomic on its
 * own, so no caller needs a transaction around it (each joins the caller's, or runs in its own); `holds` is meant
 * for inside the ingest transaction (the fence): it reads on the connection of the caller's transaction.
 * The same statements on SQLite and PostgreSQL.
 */
export function createMailboxLeaseRepository({ db }: { db: Db }) {
  const t = db.tables({ mailboxLeases, instances });
  const ofHolder = ({ mailbox, holder, token }: { mailbox: string; holder: string; token: number }) =>
    and(eq(t.mailboxLeases.mailbox, mailbox), eq(t.mailboxLeases.holder, holder), eq(t.mailboxLeases.token, token));

  /**
   * Takes the lease when it is free, expired, held by `holder` itself, or held by one of `takeoverFrom` (processes
   * known to be gone); every take draws a new token. Answers the token, or undefined when someone else holds it.
   */
  async function take({ mailbox, holder, now, ttlMs, takeoverFrom = [] }: { mailbox: string; holder: string; now: Date; ttlMs: number; takeoverFrom?: string[] }): Promise<number | undefined> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const takeable = or(lt(t.mailboxLeases.expiresAt, now), eq(t.mailboxLeases.holder, holder), ...takeoverFrom.map((gone) => eq(t.mailboxLeases.holder, gone)));
    return db.write(
      async () =>
        firstRow(
          await db
            .insert(t.mailboxLeases)
            .values({ mailbox, holder, token: 1, expiresAt, takenAt: now })
            .onConflictDoUpdate({ target: t.mailboxLeases.mailbox, set: { holder, token: sql`${t.mailboxLeases.token} + 1`, expiresAt, takenAt: now }, setWhere: takeable })
            .returning({ token: t.mailboxLeases.token }),
        )?.token,
    );
  }

  /** Extends a held lease; false when it is no longer this holder's with this token (taken over meanwhile). */
  async function renew({ mailbox, holder, token, now, ttlMs }: { mailbox: string; holder: string; token: number; now: Date; ttlMs: number }): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    return db.write(async () => changedRows(await db.update(t.mailboxLeases).set({ expiresAt }).where(ofHolder({ mailbox, holder, token }))) === 1);
  }

  /**
   * Lets a held lease go at once (a clean stop, a hand-over), so another instance need not wait for it to expire.
   * It has expired by `now`: the instances below their share take it at their next beat, the others a beat later.
   */
  async function release({ mailbox, holder, token, now }: { mailbox: string; holder: string; token: number; now: Date }): Promise<boolean> {
    return db.write(async () => changedRows(await db.update(t.mailboxLeases).set({ expiresAt: new Date(now.getTime() - 1) }).where(ofHolder({ mailbox, holder, token }))) === 1);
  }

  /** This instance is alive and syncing mailboxes until `now + ttlMs` (renewed at every beat). */
  async function announce({ holder, now, ttlMs }: { holder: string; now: Date; ttlMs: number }): Promise<void> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    await db.write(async () => {
      await db.insert(t.instances).values({ holder, expiresAt, seenAt: now }).onConflictDoUpdate({ target: t.instances.holder, set: { expiresAt, seenAt: now } });
      // Each start is a new holder (host:pid): the rows of those that died a day ago are of no use to anyone.
      await db.delete(t.instances).where(lt(t.instances.expiresAt, new Date(now.getTime() - PRESENCE_KEPT_MS)));
    });
  }

  /** A clean stop: this instance no longer shares the mailboxes. */
  async function withdraw({ holder }: { holder: string }): Promise<void> {
    await db.write(async () => {
      await db.delete(t.instances).where(eq(t.instances.holder, holder));
    });
  }

  /** How many instances announced themselves and have not expired: the mailboxes are shared among them. */
  async function liveInstances(now: Date): Promise<number> {
    const [row] = await db.select({ n: count() }).from(t.instances).where(gt(t.instances.expiresAt, now));
    return Number(row?.n ?? 0);
  }

  /**
   * Instances whose presence ran out by `now` without a withdraw: killed, stalled or cut off, on any host. Their
   * outbox deliveries are taken back (outbox.worker.ts) instead of waiting for those leases to run out.
   */
  async function lapsedInstances(now: Date): Promise<string[]> {
    return (await db.select({ holder: t.instances.holder }).from(t.instances).where(lt(t.instances.expiresAt, now))).map((row) => row.holder);
  }

  /** Whether `holder` still holds the lease under `token` (even past its expiry, as long as nobody took it). */
  async function holds({ mailbox, holder, token }: { mailbox: string; holder: string; token: number }): Promise<boolean> {
    return (await db.select({ token: t.mailboxLeases.token }).from(t.mailboxLeases).where(ofHolder({ mailbox, holder, token }))).length > 0;
  }

  async function find(mailbox: string): Promise<MailboxLeaseRow | undefined> {
    return firstRow(await db.select().from(t.mailboxLeases).where(eq(t.mailboxLeases.mailbox, mailbox)));
  }

  return { take, renew, release, holds, find, announce, withdraw, liveInstances, lapsedInstances };
}

export type MailboxLeaseRepository = ReturnType<typeof createMailboxLeaseRepository>;
