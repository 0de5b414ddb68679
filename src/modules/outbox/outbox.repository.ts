import { and, asc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { asyncRepository, preparedPerConnection, type Db, type SqliteDb } from '../../shared/db.js';
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

/** Queries only; callers own the transaction. */
export function createOutboxRepository({ db }: { db: Db }) {
  /** Enqueues an effect once: a second enqueue with the same effect key is ignored. */
  const insertEffect = preparedPerConnection(db, (connection) =>
    connection
      .insert(outbox)
      .values({
        kind: sql.placeholder('kind'),
        effectKey: sql.placeholder('effectKey'),
        ticketId: sql.placeholder('ticketId'),
        payloadJson: sql.placeholder('payloadJson'),
        nextAttemptAt: sql.placeholder('at'),
        createdAt: sql.placeholder('at'),
      })
      .onConflictDoNothing()
      .prepare(),
  );
  /** Every message queues its effects here: prepared once per connection. */
  function enqueue({ effectKey, ticketId, payload, at }: { effectKey: string; ticketId: number | null; payload: OutboxPayload; at: Date }): void {
    insertEffect().run({ kind: payload.kind, effectKey, ticketId, payloadJson: JSON.stringify(payload), at });
  }

  /** One prepared statement per set of kinds asked for (the worker asks for the same two every round). */
  const dueQueries = new Map<string, () => ReturnType<typeof prepareDue>>();
  function prepareDue(connection: SqliteDb, kinds: Array<OutboxItem['kind']> | undefined) {
    return connection
      .select()
      .from(outbox)
      .where(and(eq(outbox.status, 'pending'), kinds ? inArray(outbox.kind, kinds) : undefined, lte(outbox.nextAttemptAt, sql.placeholder('now'))))
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(sql.placeholder('limit'))
      .prepare();
  }

  /** Pending rows due by `now`, oldest first; only those of `kinds` when given (outbox_due_kind_idx). */
  function listDue({ now, limit, kinds }: { now: Date; limit: number; kinds?: Array<OutboxItem['kind']> }): OutboxItem[] {
    const key = kinds ? kinds.join(',') : '*';
    let query = dueQueries.get(key);
    if (!query) {
      query = preparedPerConnection(db, (connection) => prepareDue(connection, kinds));
      dueQueries.set(key, query);
    }
    // A placeholder compared with a timestamp column is bound as is: milliseconds, as the column stores them.
    return query().all({ now: now.getTime(), limit }).map(toItem);
  }

  /**
   * Takes the row for one delivery attempt; false if another worker holds it, it is no longer pending, or it is no
   * longer due (another worker attempted it since it was listed and set its next attempt later).
   */
  function claim({ id, now, leaseMs, owner }: { id: number; now: Date; leaseMs: number; owner: string }): boolean {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const free = or(isNull(outbox.leaseUntil), lt(outbox.leaseUntil, now));
    return db.update(outbox).set({ leaseUntil, leaseOwner: owner }).where(and(eq(outbox.id, id), eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, now), free)).run().changes === 1;
  }

  /** Owners of leases still running, to find those whose process is gone. */
  function activeLeaseOwners({ now }: { now: Date }): string[] {
    return db
      .selectDistinct({ owner: outbox.leaseOwner })
      .from(outbox)
      .where(and(eq(outbox.status, 'pending'), gt(outbox.leaseUntil, now)))
      .all()
      .flatMap((row) => (row.owner ? [row.owner] : []));
  }

  function releaseLeasesOf(owner: string): number {
    return db.update(outbox).set({ leaseUntil: null, leaseOwner: null }).where(and(eq(outbox.leaseOwner, owner), eq(outbox.status, 'pending'))).run().changes;
  }

  /** Sent: and a sealed link secret it carried is dropped in the same write, so no sent row keeps one. */
  function markSent({ id, at }: { id: number; at: Date }): void {
    db.update(outbox).set({ status: 'sent', sentAt: at, lastError: null, leaseUntil: null, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.id, id)).run();
    forgetSealed(id);
  }

  /** After a mail with a sealed link went out: the sealed secret is dropped, the row keeps the mail without it. */
  function forgetSealed(id: number): void {
    const row = db.select({ payloadJson: outbox.payloadJson }).from(outbox).where(eq(outbox.id, id)).get();
    if (!row) return;
    const payload = JSON.parse(row.payloadJson) as OutboxPayload;
    if (payload.kind !== 'email' || !payload.sealed) return;
    const { sealed: _sealed, ...rest } = payload;
    db.update(outbox).set({ payloadJson: JSON.stringify(rest) }).where(eq(outbox.id, id)).run();
  }

  function markRetry({ id, nextAttemptAt, error }: { id: number; nextAttemptAt: Date; error: string }): void {
    db.update(outbox).set({ nextAttemptAt, lastError: error, leaseUntil: null, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.id, id)).run();
  }

  function markFailed({ id, error }: { id: number; error: string }): void {
    db.update(outbox).set({ status: 'failed', lastError: error, leaseUntil: null, attempts: sql`${outbox.attempts} + 1` }).where(eq(outbox.id, id)).run();
  }

  /** Puts a dead letter (or a waiting row) back at the front of the queue. */
  function requeue({ id, at }: { id: number; at: Date }): boolean {
    return db.update(outbox).set({ status: 'pending', nextAttemptAt: at, leaseUntil: null }).where(eq(outbox.id, id)).run().changes > 0;
  }

  function list({ status }: { status?: OutboxRow['status'] } = {}): OutboxItem[] {
    const query = db.select().from(outbox);
    return (status ? query.where(eq(outbox.status, status)) : query).orderBy(asc(outbox.id)).all().map(toItem);
  }

  function findById(id: number): OutboxItem | undefined {
    const row = db.select().from(outbox).where(eq(outbox.id, id)).get();
    return row ? toItem(row) : undefined;
  }

  function countPending(): number {
    return db.select({ count: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'pending')).get()?.count ?? 0;
  }

  return asyncRepository(
    db,
    { enqueue, listDue, claim, activeLeaseOwners, releaseLeasesOf, markSent, markRetry, markFailed, requeue, list, findById, countPending },
    ['enqueue', 'claim', 'releaseLeasesOf', 'markSent', 'markRetry', 'markFailed', 'requeue'],
  );
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
