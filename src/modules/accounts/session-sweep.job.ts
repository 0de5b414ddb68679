import type { Logger } from '../../shared/logger.js';
import { createScheduledJob, type JobTicks } from '../../shared/scheduled-job.js';
import type { Accounts } from './accounts.usecases.js';

/**
 * Sessions past their idle or absolute limit are refused when presented anyway; this job deletes the ones
 * nobody presents again, so the table holds live sessions only. Runs on tickets.autoCloseCron and at start.
 */
export function createSessionSweepJob({ accounts, cron, logger, ticks }: { accounts: Accounts; cron: string; logger: Logger; ticks?: JobTicks }) {
  async function runOnce(): Promise<number> {
    const deleted = await accounts.sweepSessions();
    if (deleted > 0) logger.info({ deleted }, 'expired portal sessions deleted');
    return deleted;
  }
  return { runOnce, ...createScheduledJob({ name: 'session-sweep', cron, run: runOnce, logger, catchUp: true, ...(ticks ? { ticks } : {}) }) };
}
