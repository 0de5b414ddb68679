import type { Command } from 'commander';
import { CONFIG_OPTION, requireConfig, type CliIo } from './cli.io.js';

export function registerRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run the daemon: watch the mailbox, create tickets, deliver confirmations and pages, until SIGTERM/SIGINT')
    .option(...CONFIG_OPTION)
    .option('--stop-timeout <seconds>', 'deadline for a clean stop after SIGTERM/SIGINT', '15')
    .addHelpText('after', '\nA first SIGTERM/SIGINT stops cleanly under the deadline; a second forces exit.\n\nExample:\n  ticketd run --config config/ticketd.yaml')
    .action(async (options: { config?: string; stopTimeout: string }) => {
      const config = requireConfig(io, options.config, { ready: true });
      // Loaded on demand: the read-only commands start fast without the mail and HTTP libraries.
      const { buildServices, startDaemon } = await import('../app/start.js');
      const services = await buildServices({ config });
      const { logger } = services;
      if (config.pager.kind === 'none') logger.warn('pager.kind is none: new tickets page nobody');
      const daemon = await startDaemon(services);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) {
            logger.error({ signal }, 'second signal: forcing exit');
            process.exit(130);
          }
          stopping = true;
          logger.info({ signal }, 'stopping');
          const deadlineMs = Number(options.stopTimeout) * 1000;
          const forced = setTimeout(() => {
            logger.error({ deadlineMs }, 'clean stop took too long: forcing exit');
            process.exit(1);
          }, deadlineMs);
          forced.unref();
          daemon
            .stop({ drainMs: Math.min(3_000, deadlineMs / 3) })
            .catch((error: unknown) => logger.error({ err: String(error) }, 'error while stopping'))
            .finally(() => {
              clearTimeout(forced);
              resolve();
            });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
