import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createScheduledJob, type JobTicks } from '../../shared/scheduled-job.js';
import { createInboundLogRepository } from './inbound-log.repository.js';

const NEVER_VERIFIED = 'sender-never-verified';

/**
 * Held mail does not wait forever: after `heldDays` without its sender confirming the address, it becomes
 * quarantined (`sender-never-verified: held N days`), where operators look and `reprocess` can still release
 * it. Like the auto-close job, what is due is read from the database on each run, so a missed run is caught up.
 */
export function createHeldExpiryJob({
  db,
  cron,
  heldDays,
  clock = systemClock,
  logger = createSilentLogger(),
  ticks,
}: {
  db: Db;
  cron: string;
  heldDays: number;
  clock?: Clock;
  logger?: Logger;
  ticks?: JobTicks;
}) {
  const repository = createInboundLogRepository({ db });

  async function runOnce(): Promise<number[]> {
    const before = new Date(clock.now().getTime() - heldDays * 86_400_000);
    const expired = await db.transaction(() => repository.expireHeld({ before, reason: `${NEVER_VERIFIED}: held ${heldDays} days without the sender confirming their address` }));
    for (const row of expired) logger.warn({ inboundId: row.id, from: row.fromAddress, heldDays }, 'held mail quarantined: its sender never confirmed their address');
    return expired.map((row) => row.id);
  }

  return { runOnce, ...createScheduledJob({ name: 'held-expiry', cron, run: runOnce, logger, catchUp: true, ...(ticks ? { ticks } : {}) }) };
}
