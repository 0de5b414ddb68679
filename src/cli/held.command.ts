import type { Command } from 'commander';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

export function registerHeldCommands(program: Command, io: CliIo): void {
  const held = program.command('held').description('mail kept until its sender registers and confirms the address');

  held
    .command('list')
    .description('list held messages, oldest first (they become tickets when the sender is verified)')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd held list --config config/ticketd.yaml --json\n\nRelease one sender\'s mail by registering them: ticketd users add EMAIL --config FILE')
    .action(async (options: { config?: string; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const rows = (await createInboundLogRepository({ db }).listAllHeld()).map((row) => ({ id: row.id, from: row.fromAddress, subject: row.subject, reason: row.reason, receivedAt: row.receivedAt.toISOString() }));
        if (options.json) printJson(io, rows);
        else printTable(io, ['ID', 'RECEIVED', 'FROM', 'REASON', 'SUBJECT'], rows.map((r) => [r.id, r.receivedAt, r.from, r.reason, r.subject]));
      } finally {
        await closeDatabase(db);
      }
    });
}
