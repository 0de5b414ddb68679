import { and, asc, count, eq, gt, inArray, isNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows, firstRow } from '../../shared/db-results.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { PagerEvent } from '../pager/pager.types.js';
import type { WebhookEvent } from '../pager/webhook.models.js';
import { outbox } from './outbox.tables.js';
import type { SealedSecret } from './sealed-links.models.js';

export type OutboxPayload = { kind: 'email'; mail: OutboundMail; sealed?: SealedSecret[] } | { kind: 'page'; event: PagerEvent } | { kind: 'webhook'; event: WebhookEvent };
export type OutboxRow = typeof outbox.$inferSelect;
export type OutboxItem = OutboxRow & { payload: OutboxPayload };

function toItem(row: OutboxRow): OutboxItem {
  return { ...row, payload: JSON.parse(row.payloadJson) as OutboxPayload };
}

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createOutboxRepository({ db }: { db: Db }) {
  const t = db.tables({ outbox });

  /** Enqueues an effect once: a second enqueue with the same effect key is ignored. Every message queues its effects here. */
  async function enqueue({ effectKey, ticketId, payload, at }: { effectKey: string; ticketId: number | null; payload: OutboxPayload; at: Date }): Promise<void> {
    await db.write(async () => {
      await db
        .insert(t.outbox)
        .values({ kind: payload.kind, effectKey, ticketId, payloadJson: JSON.stringify(payload), nextAttemptAt: at, createdAt: at })
        .onConflictDoNothing();
    });
  }

  /** Pending rows due by `now`, oldest first; only those of `kinds` when given (outbox_due_kind_idx). */
  async function listDue({ now, limit, kinds }: { now: Date; limit: number; kinds?: Array<OutboxItem['kind']> }): Promise<OutboxItem[]> {
    const rows = await db
      .select()
      .from(t.outbox)
      .where(and(eq(t.outbox.status, 'pending'), kinds ? inArray(t.outbox.kind, kinds) : undefined, lte(t.outbox.nextAttemptAt, now)))
      .orderBy(asc(t.outbox.nextAttemptAt), asc(t.outbox.id))
      .limit(limit);
    return rows.map(toItem);
  }

  /**
   * Takes the row for one delivery attempt; false if another worker holds it, it is no longer pending, or it is no
   * longer due (another worker attempted it since it was listed and set its next attempt later). One conditional
   * update: of workers claiming the same row at once, one changes it; the others' conditions no longer hold (on
   * PostgreSQL they wait for the winner's row lock and then re-check them against the row it wrote).
   */
  async function claim({ id, now, leaseMs, owner }: { id: number; now: Date; leaseMs: number; owner: string }): Promise<boolean> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const free = or(isNull(t.outbox.leaseUntil), lt(t.outbox.leaseUntil, now));
    return db.write(
      async () =>
        changedRows(
          await db
            .update(t.outbox)
            .set({ leaseUntil, leaseOwner: owner })
            .where(and(eq(t.outbox.id, id), eq(t.outbox.status, 'pending'), lte(t.outbox.nextAttemptAt, now), free)),
        ) === 1,
    );
  }

  /** Owners of leases still running, to find those whose process is gone. */
  /**
   * Takes the next due row for one delivery attempt, in one statement: the oldest due row of `kinds` that nobody
   * holds (and not among `except`), leased to `owner`. On PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`: a row
   * another instance's transaction is taking is passed over instead of waited for, so instances draining one
   * outbox take different rows. Undefined when nothing is due.
   */
  async function claimNext({ now, leaseMs, owner, kinds, except = [] }: { now: Date; leaseMs: number; owner: string; kinds?: Array<OutboxItem['kind']>; except?: number[] }): Promise<OutboxItem | undefined> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const free = or(isNull(t.outbox.leaseUntil), lt(t.outbox.leaseUntil, now));
    return db.write(async () => {
      const next = db
        .select({ id: t.outbox.id })
        .from(t.outbox)
        .where(and(eq(t.outbox.status, 'pending'), kinds ? inArray(t.outbox.kind, kinds) : undefined, lte(t.outbox.nextAttemptAt, now), free, except.length > 0 ? notInArray(t.outbox.id, except) : undefined))
        .orderBy(asc(t.outbox.nextAttemptAt), asc(t.outbox.id))
        .limit(1);
      // The builders are typed as SQLite's; PostgreSQL's select has `for` (SQLite has no row locks to skip).
      const pick = db.dialect === 'postgresql' ? (next as unknown as { for(strength: 'update', config: { skipLocked: true }): typeof next }).for('update', { skipLocked: true }) : next;
      const [row] = await db.update(t.outbox).set({ leaseUntil, leaseOwner: owner }).where(inArray(t.outbox.id, pick)).returning();
      return row ? toItem(row) : undefined;
    });
  }

  async function activeLeaseOwners({ now }: { now: Date }): Promise<string[]> {
    const rows = await db
      .selectDistinct({ owner: t.outbox.leaseOwner })
      .from(t.outbox)
      .where(and(eq(t.outbox.status, 'pending'), gt(t.outbox.leaseUntil, now)));
    return rows.flatMap((row) => (row.owner ? [row.owner] : []));
  }

  async function releaseLeasesOf(owner: string): Promise<number> {
    return db.write(async () =>
      changedRows(await db.update(t.outbox).set({ leaseUntil: null, leaseOwner: null }).where(and(eq(t.outbox.leaseOwner, owner), eq(t.outbox.status, 'pending')))),
    );
  }

  /** Sent: and a sealed link secret it carried is dropped in the same write, so no sent row keeps one. */
  async function markSent({ id, at }: { id: number; at: Date }): Promise<void> {
    await db.write(async () => {
      await db
        .update(t.outbox)
        .set({ status: 'sent', sentAt: at, lastError: null, leaseUntil: null, attempts: sql`${t.outbox.attempts} + 1` })
        .where(eq(t.outbox.id, id));
      await forgetSealed(id);
    });
  }

  /** After a mail with a sealed link went out: the sealed secret is dropped, the row keeps the mail without it. Inside markSent's write. */
  async function forgetSealed(id: number): Promise<void> {
    const row = firstRow(await db.select({ payloadJson: t.outbox.payloadJson }).from(t.outbox).where(eq(t.outbox.id, id)));
    if (!row) return;
    const payload = JSON.parse(row.payloadJson) as OutboxPayload;
    if (payload.kind !== 'email' || !payload.sealed) return;
    const { sealed: _sealed, ...rest } = payload;
    await db.update(t.outbox).set({ payloadJson: JSON.stringify(rest) }).where(eq(t.outbox.id, id));
  }

  async function markRetry({ id, nextAttemptAt, error }: { id: number; nextAttemptAt: Date; error: string }): Promise<void> {
    await db.write(async () => {
      await db
        .update(t.outbox)
        .set({ nextAttemptAt, lastError: error, leaseUntil: null, attempts: sql`${t.outbox.attempts} + 1` })
        .where(eq(t.outbox.id, id));
    });
  }

  async function markFailed({ id, error }: { id: number; error: string }): Promise<void> {
    await db.write(async () => {
      await db
        .update(t.outbox)
        .set({ status: 'failed', lastError: error, leaseUntil: null, attempts: sql`${t.outbox.attempts} + 1` })
        .where(eq(t.outbox.id, id));
    });
  }

  /** Puts a dead letter (or a waiting row) back at the front of the queue. */
  async function requeue({ id, at }: { id: number; at: Date }): Promise<boolean> {
    return db.write(async () => changedRows(await db.update(t.outbox).set({ status: 'pending', nextAttemptAt: at, leaseUntil: null }).where(eq(t.outbox.id, id))) > 0);
  }

  async function list({ status }: { status?: OutboxRow['status'] } = {}): Promise<OutboxItem[]> {
    const rows = await db
      .select()
      .from(t.outbox)
      .where(status ? eq(t.outbox.status, status) : undefined)
      .orderBy(asc(t.outbox.id));
    return rows.map(toItem);
  }

  async function findById(id: number): Promise<OutboxItem | undefined> {
    const row = firstRow(await db.select().from(t.outbox).where(eq(t.outbox.id, id)));
    return row ? toItem(row) : undefined;
  }

  async function countPending(): Promise<number> {
    // drizzle's count() reads the number on both dialects (PostgreSQL answers count(*) as a string).
    return firstRow(await db.select({ count: count() }).from(t.outbox).where(eq(t.outbox.status, 'pending')))?.count ?? 0;
  }

  return { enqueue, listDue, claim, claimNext, activeLeaseOwners, releaseLeasesOf, markSent, markRetry, markFailed, requeue, list, findById, countPending };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
