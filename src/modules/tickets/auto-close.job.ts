import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createScheduledJob, type JobTicks } from '../../shared/scheduled-job.js';
import type { Lifecycle } from './lifecycle.usecases.js';

/**
 * Closes resolved tickets after `tickets.autoCloseDays`, on a node-cron schedule that never overlaps itself.
 * node-cron keeps no state: what is due is read from the database each run (resolvedAt), so a missed run
 * (daemon down) is caught up by the next one.
 */
export function createAutoCloseJob({
  db,
  lifecycle,
  cron,
  autoCloseDays,
  clock = systemClock,
  logger = createSilentLogger(),
  ticks,
}: {
  db: Db;
  lifecycle: Lifecycle;
  cron: string;
  autoCloseDays: number;
  clock?: Clock;
  logger?: Logger;
  ticks?: JobTicks;
}) {
  async function runOnce(): Promise<string[]> {
    const closed = await db.transaction(() => lifecycle.autoCloseDue({ now: clock.now(), autoCloseDays }));
    if (closed.length > 0) logger.info({ refs: closed }, 'resolved tickets auto-closed');
    return closed;
  }

  // Catches up at once (the daemon may have been down when tickets fell due), then on schedule.
  return { runOnce, ...createScheduledJob({ name: 'auto-close', cron, run: runOnce, logger, catchUp: true, ...(ticks ? { ticks } : {}) }) };
}
