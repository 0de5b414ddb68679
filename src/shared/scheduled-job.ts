import { createTask } from 'node-cron';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * A job on a node-cron schedule whose passes never overlap, and whose failure is logged, never thrown into
 * the scheduler. node-cron keeps no state, so jobs read what is due from the database on every pass;
 * `catchUp` runs one pass at start for work that fell due while the daemon was down. `stop()` resolves once the
 * pass in progress (if any) has finished, so the database is not closed under it.
 */
export function createScheduledJob({ name, cron, run, logger, catchUp }: { name: string; cron: string; run: () => unknown; logger: Logger; catchUp: boolean }) {
  let running: Promise<void> | undefined;

  async function pass(): Promise<void> {
    try {
      await run();
    } catch (error) {
      logger.error({ err: describeError(error), job: name }, `${name} run failed`);
    }
  }

  function tick(): Promise<void> {
    // A pass still running when the next is due: the next is skipped, not queued behind it.
    running ??= pass().finally(() => (running = undefined));
    return running;
  }

  const task = createTask(cron, tick, { name, noOverlap: true });
  return {
    start: () => {
      if (catchUp) void tick();
      void task.start();
    },
    stop: async (): Promise<void> => {
      await task.stop();
      await running;
    },
  };
}
