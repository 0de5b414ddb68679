import { createTask } from 'node-cron';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Where instances sharing one database agree who runs a tick (issue 18): `claim` answers true for the first
 * instance to claim this tick of this job, false for the others.
 */
export type JobTicks = { claim(args: { job: string; tick: Date }): Promise<boolean> };

/**
 * A job on a node-cron schedule whose passes never overlap, and whose failure is logged, never thrown into
 * the scheduler. node-cron keeps no state, so jobs read what is due from the database on every pass;
 * `catchUp` runs one pass at start for work that fell due while the daemon was down. With `ticks`, each
 * scheduled tick runs in one instance only (the catch-up pass is claimed as a tick of its own). `stop()` resolves
 * once the pass in progress (if any) has finished, so the database is not closed under it.
 */
export function createScheduledJob({ name, cron, run, logger, catchUp, ticks }: { name: string; cron: string; run: () => unknown; logger: Logger; catchUp: boolean; ticks?: JobTicks }) {
  let running: Promise<void> | undefined;

  async function pass(tick: Date): Promise<void> {
    try {
      // The scheduled time, to the second: every instance names the same tick alike.
      if (ticks && !(await ticks.claim({ job: name, tick: new Date(Math.floor(tick.getTime() / 1000) * 1000) }))) return;
      await run();
    } catch (error) {
      logger.error({ err: describeError(error), job: name }, `${name} run failed`);
    }
  }

  function tick(at: Date): Promise<void> {
    // A pass still running when the next is due: the next is skipped, not queued behind it.
    running ??= pass(at).finally(() => (running = undefined));
    return running;
  }

  const task = createTask(cron, (context) => tick(context.date), { name, noOverlap: true });
  return {
    start: () => {
      if (catchUp) void tick(new Date());
      void task.start();
    },
    stop: async (): Promise<void> => {
      await task.stop();
      await running;
    },
  };
}
