import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { asyncRepository, preparedPerConnection, type Db } from '../../shared/db.js';
import { allowsAnother, windowStart, type RateLimit } from './rate-limit.models.js';
import { rateEvents } from './rate-limit.tables.js';

/** Queries only; callers own the transaction (a check and its record belong in the same one). */
export function createRateLimitRepository({ db }: { db: Db }) {
  // Every message counts and records here (auto-replies, new tickets): prepared once per connection.
  const inWindow = preparedPerConnection(db, (connection) =>
    connection
      .select({ count: sql<number>`count(*)` })
      .from(rateEvents)
      .where(and(eq(rateEvents.bucket, sql.placeholder('bucket')), eq(rateEvents.key, sql.placeholder('key')), gt(rateEvents.at, sql.placeholder('since'))))
      .prepare(),
  );
  const recordEvent = preparedPerConnection(db, (connection) =>
    connection.insert(rateEvents).values({ bucket: sql.placeholder('bucket'), key: sql.placeholder('key'), at: sql.placeholder('at') }).prepare(),
  );

  function count({ bucket, key, since }: { bucket: string; key: string; since: Date }): number {
    // A placeholder compared with a timestamp column is bound as is: milliseconds, as the column stores them.
    return inWindow().get({ bucket, key, since: since.getTime() })?.count ?? 0;
  }

  /** Records the event and returns true when it is within the limit; otherwise records nothing. */
  function take({ bucket, key, limit, now }: { bucket: string; key: string; limit: RateLimit; now: Date }): boolean {
    const countInWindow = count({ bucket, key, since: windowStart({ now, limit }) });
    if (!allowsAnother({ countInWindow, limit })) return false;
    recordEvent().run({ bucket, key, at: now });
    return true;
  }

  function peek({ bucket, key, limit, now }: { bucket: string; key: string; limit: RateLimit; now: Date }): boolean {
    return allowsAnother({ countInWindow: count({ bucket, key, since: windowStart({ now, limit }) }), limit });
  }

  /** Forgets one key's events (e.g. failed sign-ins once the password was reset by its owner). */
  function clear({ bucket, key }: { bucket: string; key: string }): void {
    db.delete(rateEvents).where(and(eq(rateEvents.bucket, bucket), eq(rateEvents.key, key))).run();
  }

  /** Drops events older than any window we use, so the table stays small. */
  function prune({ before }: { before: Date }): void {
    db.delete(rateEvents).where(lt(rateEvents.at, before)).run();
  }

  return asyncRepository(db, { take, peek, count, clear, prune }, ['take', 'clear', 'prune']);
}

export type RateLimitRepository = ReturnType<typeof createRateLimitRepository>;
