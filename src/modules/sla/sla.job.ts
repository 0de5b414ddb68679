import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createScheduledJob } from '../../shared/scheduled-job.js';
import type { SlaChecker } from './sla.usecases.js';

/** Runs the SLA check on `cron` (node-cron keeps no state: what was done lives in sla_events). Passes never overlap. */
export function createSlaJob({ checker, cron, logger = createSilentLogger(), onEnqueued }: { checker: SlaChecker; cron: string; logger?: Logger; onEnqueued?: () => void }) {
  return createScheduledJob({
    name: 'sla-check',
    cron,
    logger,
    catchUp: false,
    run: async () => {
      const result = await checker.checkOnce();
      if (result.warned.length + result.breached.length > 0) onEnqueued?.();
    },
  });
}
