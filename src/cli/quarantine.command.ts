import type { Command } from 'commander';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';
import { reprocessMessages } from './reprocess.command.js';

export function registerQuarantineCommands(program: Command, io: CliIo): void {
  const quarantine = program.command('quarantine').description('messages that got no ticket, with the reason');

  quarantine
    .command('list')
    .description('list quarantined messages, newest first')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd quarantine list --config config/ticketd.yaml --json')
    .action(async (options: { config?: string; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const rows = (await createInboundLogRepository({ db }).listQuarantined()).map((row) => ({ id: row.id, from: row.fromAddress, subject: row.subject, reason: row.reason, receivedAt: row.receivedAt.toISOString() }));
        if (options.json) printJson(io, rows);
        else printTable(io, ['ID', 'RECEIVED', 'FROM', 'REASON', 'SUBJECT'], rows.map((r) => [r.id, r.receivedAt, r.from, r.reason, r.subject]));
      } finally {
        await closeDatabase(db);
      }
    });

  quarantine
    .command('release')
    .description('process one quarantined message as if its sender were allowed (new ticket, confirmation and page)')
    .argument('<id>', 'id from `quarantine list`')
    .option(...CONFIG_OPTION)
    .addHelpText('after', '\nExample:\n  ticketd quarantine release 17 --config config/ticketd.yaml')
    .action(async (id: string, options: { config?: string }) => {
      await reprocessMessages(io, options.config, () => [Number(id)], { release: true });
    });
}
