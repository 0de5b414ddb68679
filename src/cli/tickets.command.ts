import type { Command } from 'commander';
import { createTicketsRepository, type TicketRow } from '../modules/tickets/tickets.repository.js';
import { closeDatabase, openDatabase } from '../shared/db.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

function ticketJson(ticket: TicketRow & { messageCount: number }) {
  return {
    ref: ticket.ref,
    subject: ticket.subject,
    severity: ticket.severity,
    priority: ticket.priority,
    status: ticket.status,
    requester: ticket.requesterEmail,
    createdAt: ticket.createdAt.toISOString(),
    messageCount: ticket.messageCount,
  };
}

export function registerTicketsCommands(program: Command, io: CliIo): void {
  const tickets = program.command('tickets').description('read tickets');

  tickets
    .command('list')
    .description('list every ticket')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd tickets list --config config/ticketd.yaml --json')
    .action((options: { config?: string; json?: boolean }) => {
      const db = openDatabase({ path: requireConfig(io, options.config).database.path });
      try {
        const rows = createTicketsRepository({ db }).listTickets().map(ticketJson);
        if (options.json) printJson(io, rows);
        else printTable(io, ['REF', 'SEV', 'PRIORITY', 'STATUS', 'MSGS', 'REQUESTER', 'SUBJECT'], rows.map((t) => [t.ref, t.severity, t.priority, t.status, t.messageCount, t.requester, t.subject]));
      } finally {
        closeDatabase(db);
      }
    });

  tickets
    .command('show')
    .description('one ticket with its messages in time order')
    .argument('<ref>', 'ticket reference such as CS-12')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd tickets show CS-12 --config config/ticketd.yaml --json')
    .action((ref: string, options: { config?: string; json?: boolean }) => {
      const db = openDatabase({ path: requireConfig(io, options.config).database.path });
      try {
        const repository = createTicketsRepository({ db });
        const ticket = repository.findByRef(ref);
        if (!ticket) {
          io.err(`ticketd: no ticket ${ref}`);
          throw new CliExit(1);
        }
        const messages = repository.listMessages(ticket.id).map((message) => ({
          direction: message.direction,
          from: message.fromAddress,
          to: JSON.parse(message.toJson) as string[],
          subject: message.subject,
          messageId: message.messageId,
          inReplyTo: message.inReplyTo,
          bodyText: message.bodyText,
          attachments: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256 })),
          createdAt: message.createdAt.toISOString(),
          visibility: message.visibility,
        }));
        const linked = ticket.linkedTicketId === null ? undefined : repository.findById(ticket.linkedTicketId);
        const result = {
          ...ticketJson({ ...ticket, messageCount: messages.length }),
          assignee: ticket.assignee,
          firstRespondedAt: ticket.firstRespondedAt?.toISOString() ?? null,
          linkedTicket: linked?.ref ?? null,
          messages,
        };
        if (options.json) return printJson(io, result);
        io.out(`${result.ref}  ${result.severity} / ${result.priority}  ${result.status}\n${result.subject}\nrequester: ${result.requester}  created: ${result.createdAt}\n`);
        for (const message of messages) {
          io.out(`--- ${message.direction}${message.visibility === 'internal' ? ' (internal)' : ''} ${message.createdAt} from ${message.from} to ${message.to.join(', ')}\n${message.subject}\n\n${message.bodyText.trim()}\n`);
        }
      } finally {
        closeDatabase(db);
      }
    });
}
