import { and, count as countRows, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { firstRow } from '../../shared/db-results.js';
import { allowsAnother, windowStart, type RateLimit } from './rate-limit.models.js';
import { rateEvents } from './rate-limit.tables.js';

/**
 * Queries only; callers own the transaction (a check and its record belong in the same one). Every message counts
 * and records here (auto-replies, new tickets): one statement per count, two per take. Both dialects (issue 18).
 */
export function createRateLimitRepository({ db }: { db: Db }) {
  const t = db.tables({ rateEvents });

  async function count({ bucket, key, since }: { bucket: string; key: string; since: Date }): Promise<number> {
    // drizzle's count() reads the number on both dialects (PostgreSQL answers count(*) as a string).
    const row = firstRow(
      await db
        .select({ count: countRows() })
        .from(t.rateEvents)
        .where(and(eq(t.rateEvents.bucket, bucket), eq(t.rateEvents.key, key), gt(t.rateEvents.at, since))),
    );
    return row?.count ?? 0;
  }

  /** Records the event and returns true when it is within the limit; otherwise records nothing. */
  async function take({ bucket, key, limit, now }: { bucket: string; key: string; limit: RateLimit; now: Date }): Promise<boolean> {
    return db.write(async () => {
      const countInWindow = await count({ bucket, key, since: windowStart({ now, limit }) });
      if (!allowsAnother({ countInWindow, limit })) return false;
      await db.insert(t.rateEvents).values({ bucket, key, at: now });
      return true;
    });
  }

  async function peek({ bucket, key, limit, now }: { bucket: string; key: string; limit: RateLimit; now: Date }): Promise<boolean> {
    return allowsAnother({ countInWindow: await count({ bucket, key, since: windowStart({ now, limit }) }), limit });
  }

  /** Forgets one key's events (e.g. failed sign-ins once the password was reset by its owner). */
  async function clear({ bucket, key }: { bucket: string; key: string }): Promise<void> {
    await db.write(async () => {
      await db.delete(t.rateEvents).where(and(eq(t.rateEvents.bucket, bucket), eq(t.rateEvents.key, key)));
    });
  }

  /** Drops events older than any window we use, so the table stays small. */
  async function prune({ before }: { before: Date }): Promise<void> {
    await db.write(async () => {
      await db.delete(t.rateEvents).where(lt(t.rateEvents.at, before));
    });
  }

  return { take, peek, count, clear, prune };
}

export type RateLimitRepository = ReturnType<typeof createRateLimitRepository>;
