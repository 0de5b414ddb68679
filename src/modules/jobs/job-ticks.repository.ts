import { lt } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { jobTicks } from './job-ticks.tables.js';

/** Claims of scheduled jobs' ticks; one statement each, atomic by itself. */
export function createJobTicksRepository({ db }: { db: Db }) {
  /** True for the first claim of this tick of this job (or a later one); false once any instance has claimed it. */
  function claim({ job, tick, holder, now }: { job: string; tick: Date; holder: string; now: Date }): boolean {
    return (
      db
        .insert(jobTicks)
        .values({ job, lastTick: tick, holder, claimedAt: now })
        .onConflictDoUpdate({ target: jobTicks.job, set: { lastTick: tick, holder, claimedAt: now }, setWhere: lt(jobTicks.lastTick, tick) })
        .run().changes === 1
    );
  }

  return asyncRepository(db, { claim }, ['claim']);
}
