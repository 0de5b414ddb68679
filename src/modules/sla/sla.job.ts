import { createTask } from 'node-cron';
import { describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { SlaChecker } from './sla.usecases.js';

/** Runs the SLA check on `cron` (node-cron keeps no state: what was done lives in sla_events). Passes never overlap. */
export function createSlaJob({ checker, cron, logger = createSilentLogger(), onEnqueued }: { checker: SlaChecker; cron: string; logger?: Logger; onEnqueued?: () => void }) {
  const task = createTask(
    cron,
    () => {
      try {
        const result = checker.checkOnce();
        if (result.warned.length + result.breached.length > 0) onEnqueued?.();
      } catch (error) {
        logger.error({ err: describeError(error) }, 'SLA check failed');
      }
    },
    { name: 'sla-check', noOverlap: true },
  );
  return {
    start: () => void task.start(),
    stop: () => void task.stop(),
  };
}
