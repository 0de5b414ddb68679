import { lt } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows } from '../../shared/db-results.js';
import { jobTicks } from './job-ticks.tables.js';

/** Claims of scheduled jobs' ticks; one statement each, atomic by itself. The same statement on SQLite and PostgreSQL. */
export function createJobTicksRepository({ db }: { db: Db }) {
  const t = db.tables({ jobTicks });

  /** True for the first claim of this tick of this job (or a later one); false once any instance has claimed it. */
  async function claim({ job, tick, holder, now }: { job: string; tick: Date; holder: string; now: Date }): Promise<boolean> {
    return db.write(
      async () =>
        changedRows(
          await db
            .insert(t.jobTicks)
            .values({ job, lastTick: tick, holder, claimedAt: now })
            .onConflictDoUpdate({ target: t.jobTicks.job, set: { lastTick: tick, holder, claimedAt: now }, setWhere: lt(t.jobTicks.lastTick, tick) }),
        ) === 1,
    );
  }

  return { claim };
}
