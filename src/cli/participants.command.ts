import type { Command } from 'commander';
import { participantCommandOf } from '../modules/engineers/commands.models.js';
import { createParticipants } from '../modules/conversations/participants.usecases.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import { closeDatabase, type Db } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, CliExit, printJson, requireConfig, type CliIo } from './cli.io.js';

/** `ticketd participants`: who is in a ticket's conversation, and letting someone in or out (as `#participant` does by mail). */
export function registerParticipantsCommands(program: Command, io: CliIo): void {
  const group = program.command('participants').description("who gets a ticket's replies in Cc and may write on it; let someone in or out");

  group
    .command('list')
    .description('the requester and the participants of a ticket')
    .argument('<ref>', 'ticket reference such as CS-12')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd participants list CS-12 --config config/ticketd.yaml --json')
    .action(async (ref: string, options: { config?: string; json?: boolean }) => {
      await withTicket(io, options.config, ref, async ({ ticket, participants }) => {
        const result = { ref: ticket.ref, requester: ticket.requesterEmail, participants: await participants.list(ticket.id) };
        if (options.json) printJson(io, result);
        else io.out([`requester: ${result.requester}`, ...result.participants.map((address) => `participant: ${address}`)].join('\n'));
      });
    });

  for (const action of ['add', 'remove'] as const) {
    group
      .command(action)
      .description(action === 'add' ? 'let someone in: their mail on the ticket becomes public and they get our replies in Cc' : 'take someone out of the conversation')
      .argument('<ref>', 'ticket reference such as CS-12')
      .argument('<address>', 'email address')
      .option(...CONFIG_OPTION)
      .addHelpText('after', `\nExample:\n  ticketd participants ${action} CS-12 carl@partner.example --config config/ticketd.yaml\n\nEngineers can do the same by mail: a line "#participant ${action} ADDRESS" in their reply.`)
      .action(async (ref: string, address: string, options: { config?: string }) => {
        const command = participantCommandOf(`#participant ${action} ${address}`);
        if (!command?.address) {
          io.err(`ticketd: not an email address: ${JSON.stringify(address.slice(0, 200))}`);
          throw new CliExit(2);
        }
        await withTicket(io, options.config, ref, async ({ db, ticket, participants }) => {
          const said = await db.transaction(() => participants.change({ ticket, change: command, by: 'an operator (ticketd participants)', at: new Date() }));
          io.out(said);
        });
      });
  }
}

async function withTicket(
  io: CliIo,
  configFile: string | undefined,
  ref: string,
  work: (context: { db: Db; ticket: NonNullable<Awaited<ReturnType<ReturnType<typeof createTicketsRepository>['findByRef']>>>; participants: ReturnType<typeof createParticipants> }) => Promise<void>,
): Promise<void> {
  const config = requireConfig(io, configFile);
  const db = await openConfiguredDatabase(config);
  try {
    const ticket = await createTicketsRepository({ db }).findByRef(ref);
    if (!ticket) {
      io.err(`ticketd: no ticket ${ref}`);
      throw new CliExit(1);
    }
    await work({ db, ticket, participants: createParticipants({ db, config }) });
  } finally {
    await closeDatabase(db);
  }
}
