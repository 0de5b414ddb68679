import { createTask } from 'node-cron';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * A job on a node-cron schedule whose passes never overlap, and whose failure is logged, never thrown into
 * the scheduler. node-cron keeps no state, so jobs read what is due from the database on every pass;
 * `catchUp` runs one pass at start for work that fell due while the daemon was down.
 */
export function createScheduledJob({ name, cron, run, logger, catchUp }: { name: string; cron: string; run: () => unknown; logger: Logger; catchUp: boolean }) {
  function tick(): void {
    try {
      run();
    } catch (error) {
      logger.error({ err: describeError(error), job: name }, `${name} run failed`);
    }
  }

  const task = createTask(cron, tick, { name, noOverlap: true });
  return {
    start: () => {
      if (catchUp) tick();
      void task.start();
    },
    stop: () => void task.stop(),
  };
}
