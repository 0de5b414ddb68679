import type { Command } from 'commander';
import { createOutboxRepository, type OutboxItem } from '../modules/outbox/outbox.repository.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

function itemJson(item: OutboxItem) {
  const target =
    item.payload.kind === 'email' ? item.payload.mail.to.join(', ') : item.payload.kind === 'webhook' ? `${item.payload.event.type} ${'ticket' in item.payload.event ? item.payload.event.ticket.ref : item.payload.event.flood.sender}` : `${item.payload.event.event_action} ${item.payload.event.dedup_key}`;
  return {
    id: item.id,
    kind: item.kind,
    status: item.status,
    target,
    attempts: item.attempts,
    nextAttemptAt: item.nextAttemptAt.toISOString(),
    lastError: item.lastError,
    createdAt: item.createdAt.toISOString(),
    sentAt: item.sentAt?.toISOString() ?? null,
  };
}

export function registerOutboxCommands(program: Command, io: CliIo): void {
  const outbox = program.command('outbox').description('confirmations and pages waiting, sent or failed');

  outbox
    .command('list')
    .description('list deliveries')
    .option(...CONFIG_OPTION)
    .option('--failed', 'only dead letters (permanent failures)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd outbox list --config config/ticketd.yaml --failed --json')
    .action(async (options: { config?: string; failed?: boolean; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const rows = (await createOutboxRepository({ db }).list(options.failed ? { status: 'failed' } : {})).map(itemJson);
        if (options.json) printJson(io, rows);
        else printTable(io, ['ID', 'KIND', 'STATUS', 'ATTEMPTS', 'TARGET', 'LAST ERROR'], rows.map((r) => [r.id, r.kind, r.status, r.attempts, r.target, r.lastError ?? '']));
      } finally {
        await closeDatabase(db);
      }
    });

  outbox
    .command('retry')
    .description('send one delivery again (a dead letter, or a waiting retry now)')
    .argument('<id>', 'outbox id from `outbox list`')
    .option(...CONFIG_OPTION)
    .addHelpText('after', '\nThe running daemon picks it up within outbox.pollSeconds.\n\nExample:\n  ticketd outbox retry 12 --config config/ticketd.yaml')
    .action(async (id: string, options: { config?: string }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const repository = createOutboxRepository({ db });
        const item = await repository.findById(Number(id));
        if (!item || item.status === 'sent') {
          io.err(item ? `ticketd: outbox ${id} was already sent` : `ticketd: no outbox entry ${id}`);
          throw new CliExit(1);
        }
        await repository.requeue({ id: item.id, at: new Date() });
        io.out(`outbox ${id} queued for delivery`);
      } finally {
        await closeDatabase(db);
      }
    });
}
