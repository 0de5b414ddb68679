import type { Command } from 'commander';
import type { Services } from '../app/start.js';
import { describeError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { CONFIG_OPTION, CliExit, requireConfig, type CliIo } from './cli.io.js';
import { createProgress } from './progress.js';

/** Runs stored messages through the pipeline again, then tries to deliver what that queued. */
export async function reprocessMessages(
  io: CliIo,
  configFile: string | undefined,
  pick: (services: Services) => number[] | Promise<number[]>,
  { release = false, json = false }: { release?: boolean; json?: boolean } = {},
): Promise<void> {
  const config = requireConfig(io, configFile);
  // Loaded on demand: the read-only commands start fast without the mail and HTTP libraries.
  const { buildServices } = await import('../app/start.js');
  const services = await buildServices({ config, logger: createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level }) });
  let failures = 0;
  try {
    const ids = await pick(services);
    if (ids.length === 0) io.out('nothing to reprocess');
    const progress = createProgress({ stream: process.stderr, total: ids.length, label: 'reprocessing', enabled: Boolean(process.stderr.isTTY) && !json && ids.length > 1 });
    for (const [index, inboundId] of ids.entries()) {
      try {
        const result = await services.intake.reprocess({ inboundId, release });
        if (json) io.out(JSON.stringify(result));
        else progress.line(io.out, `${inboundId}: ${result.outcome}${result.ticketRef ? ` ${result.ticketRef}` : ''} (${result.reason})`);
      } catch (error) {
        failures += 1;
        progress.line(io.err, `${inboundId}: not reprocessed: ${describeError(error)}`);
      }
      progress.update(index + 1);
    }
    progress.done();
    const deadline = Date.now() + 20_000;
    await services.outboxWorker.runOnce({ shouldContinue: () => Date.now() < deadline });
  } finally {
    await services.close();
  }
  if (failures > 0) throw new CliExit(1);
}

export function registerReprocessCommand(program: Command, io: CliIo): void {
  program
    .command('reprocess')
    .description('run stored messages (quarantined, bounces, auto-replies) through the pipeline again, e.g. after a fix or a release')
    .argument('[ids...]', 'inbound message ids (the ids `quarantine list` shows)')
    .option(...CONFIG_OPTION)
    .option('--quarantined', 'every quarantined message')
    .option('--json', 'print one JSON line per message')
    .addHelpText('after', '\nMail that already made a ticket or a reply is never reprocessed.\n\nExamples:\n  ticketd reprocess --config config/ticketd.yaml 17 18\n  ticketd reprocess --config config/ticketd.yaml --quarantined')
    .action(async (ids: string[], options: { config?: string; quarantined?: boolean; json?: boolean }) => {
      if (ids.length === 0 && !options.quarantined) {
        io.err('ticketd reprocess: give message ids or --quarantined');
        throw new CliExit(2);
      }
      await reprocessMessages(
        io,
        options.config,
        async (services) => (options.quarantined ? (await services.repositories.inboundLog.listQuarantined()).map((row) => row.id).reverse() : ids.map(Number)),
        { json: options.json ?? false },
      );
    });
}
