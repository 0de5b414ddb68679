import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createScheduledJob, type JobTicks } from '../../shared/scheduled-job.js';
import type { SlaChecker } from './sla.usecases.js';

/** Runs the SLA check on `cron` (node-cron keeps no state: what was done lives in sla_events). Passes never overlap. */
export function createSlaJob({ checker, cron, logger = createSilentLogger(), onEnqueued, ticks }: { checker: SlaChecker; cron: string; logger?: Logger; onEnqueued?: () => void; ticks?: JobTicks }) {
  return createScheduledJob({
    name: 'sla-check',
    cron,
    logger,
    catchUp: false,
    ...(ticks ? { ticks } : {}),
    run: async () => {
      const result = await checker.checkOnce();
      if (result.warned.length + result.breached.length > 0) onEnqueued?.();
    },
  });
}
