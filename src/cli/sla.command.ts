import type { Command } from 'commander';
import { slaReport } from '../modules/sla/sla-report.usecases.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

export function registerSlaCommands(program: Command, io: CliIo): void {
  const sla = program.command('sla').description('service level agreement compliance');

  sla
    .command('report')
    .description('first-response compliance per organisation and severity: tickets, met, breached, pending, median and p90 minutes')
    .option(...CONFIG_OPTION)
    .option('--since <date>', 'only tickets created at or after this date (YYYY-MM-DD or ISO 8601)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd sla report --config config/ticketd.yaml --since 2026-11-01 --json')
    .action(async (options: { config?: string; since?: string; json?: boolean }) => {
      const config = requireConfig(io, options.config);
      const since = options.since === undefined ? undefined : new Date(options.since);
      if (since && Number.isNaN(since.getTime())) {
        io.err(`ticketd: --since ${options.since} is not a date`);
        throw new CliExit(2);
      }
      const db = await openConfiguredDatabase(config);
      try {
        const rows = await slaReport({ db, config, now: new Date(), ...(since ? { since } : {}) });
        if (options.json) return printJson(io, rows);
        printTable(
          io,
          ['ORGANISATION', 'SEV', 'TICKETS', 'MET', 'BREACHED', 'PENDING', 'MEDIAN MIN', 'P90 MIN'],
          rows.map((row) => [row.organisation, row.severity, row.tickets, row.met, row.breached, row.pending, row.medianFirstResponseMinutes ?? '-', row.p90FirstResponseMinutes ?? '-']),
        );
      } finally {
        await closeDatabase(db);
      }
    });
}
