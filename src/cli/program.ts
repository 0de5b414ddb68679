import { Command, CommanderError } from 'commander';
import { describeError } from '../shared/errors.js';
import { CliExit, processIo, terminalSafe, type CliIo } from './cli.io.js';
import { registerConfigCommands } from './config.command.js';
import { registerDbCommands } from './db.command.js';
import { registerDomainsCommands } from './domains.command.js';
import { registerHeldCommands } from './held.command.js';
import { registerDoctorCommand } from './doctor.command.js';
import { documentExitCodes } from './help.js';
import { registerIngestCommand } from './ingest.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerOutboxCommands } from './outbox.command.js';
import { registerParticipantsCommands } from './participants.command.js';
import { registerQuarantineCommands } from './quarantine.command.js';
import { registerReprocessCommand } from './reprocess.command.js';
import { registerRunCommand } from './run.command.js';
import { registerSlaCommands } from './sla.command.js';
import { registerTicketsCommands } from './tickets.command.js';
import { registerUsersCommands } from './users.command.js';

/** Exit codes: 0 success, 1 failure (bad config, operation failed), 2 usage error (unknown command or flag). */
export async function runCli(argv: string[], rawIo: CliIo = processIo): Promise<number> {
  const io = terminalSafe(rawIo);
  const program = new Command('ticketd')
    .description('Email-to-ticket daemon: IMAP in, SQLite tickets, SMTP confirmations, PagerDuty pages.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 usage error.\nRun "ticketd <command> --help" for a command\'s options and examples.');
  program.configureOutput({ writeOut: io.out, writeErr: io.err });
  registerRunCommand(program, io);
  registerIngestCommand(program, io);
  registerTicketsCommands(program, io);
  registerParticipantsCommands(program, io);
  registerQuarantineCommands(program, io);
  registerReprocessCommand(program, io);
  registerOutboxCommands(program, io);
  registerSlaCommands(program, io);
  registerDomainsCommands(program, io);
  registerUsersCommands(program, io);
  registerHeldCommands(program, io);
  registerConfigCommands(program, io);
  registerDoctorCommand(program, io);
  registerMigrateCommand(program, io);
  registerDbCommands(program, io);
  documentExitCodes(program);
  // Every command, nested ones too, reports usage errors through the override below instead of exiting.
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const group of program.commands) if (group.commands.length > 0) group.action(() => group.help({ error: true }));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    io.err(`ticketd: ${describeError(error)}`);
    return 1;
  }
}
