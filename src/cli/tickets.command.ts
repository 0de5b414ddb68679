import type { Command } from 'commander';
import { createLifecycleRepository } from '../modules/tickets/lifecycle.repository.js';
import { createTicketsRepository, type TicketRow } from '../modules/tickets/tickets.repository.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
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
    .action(async (options: { config?: string; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const rows = (await createTicketsRepository({ db }).listTickets()).map(ticketJson);
        if (options.json) printJson(io, rows);
        else printTable(io, ['REF', 'SEV', 'PRIORITY', 'STATUS', 'MSGS', 'REQUESTER', 'SUBJECT'], rows.map((t) => [t.ref, t.severity, t.priority, t.status, t.messageCount, t.requester, t.subject]));
      } finally {
        await closeDatabase(db);
      }
    });

  tickets
    .command('show')
    .description('one ticket with its messages in time order')
    .argument('<ref>', 'ticket reference such as CS-12')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd tickets show CS-12 --config config/ticketd.yaml --json')
    .action(async (ref: string, options: { config?: string; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const repository = createTicketsRepository({ db });
        const ticket = await repository.findByRef(ref);
        if (!ticket) {
          io.err(`ticketd: no ticket ${ref}`);
          throw new CliExit(1);
        }
        const messages = (await repository.listMessages(ticket.id)).map((message) => ({
          direction: message.direction,
          from: message.fromAddress,
          to: JSON.parse(message.toJson) as string[],
          subject: message.subject,
          messageId: message.messageId,
          inReplyTo: message.inReplyTo,
          bodyText: message.bodyText,
          attachments: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256, ...(file.text !== null ? { text: file.text } : {}) })),
          createdAt: message.createdAt.toISOString(),
          visibility: message.visibility,
          fromOutsideOrganisation: message.fromOutsideOrganisation,
        }));
        const linked = ticket.linkedTicketId === null ? undefined : await repository.findById(ticket.linkedTicketId);
        const result = {
          ...ticketJson({ ...ticket, messageCount: messages.length }),
          assignee: ticket.assignee,
          firstRespondedAt: ticket.firstRespondedAt?.toISOString() ?? null,
          linkedTicket: linked?.ref ?? null,
          participants: await createLifecycleRepository({ db }).listParticipants(ticket.id),
          messages,
        };
        if (options.json) return printJson(io, result);
        io.out(`${result.ref}  ${result.severity} / ${result.priority}  ${result.status}\n${result.subject}\nrequester: ${result.requester}  created: ${result.createdAt}\n`);
        for (const message of messages) {
          const marks = [message.visibility === 'internal' ? 'internal' : '', message.fromOutsideOrganisation ? 'from outside the organisation' : ''].filter(Boolean).join(', ');
          io.out(`--- ${message.direction}${marks ? ` (${marks})` : ''} ${message.createdAt} from ${message.from} to ${message.to.join(', ')}\n${message.subject}\n\n${message.bodyText.trim()}\n`);
        }
      } finally {
        await closeDatabase(db);
      }
    });

  tickets
    .command('search')
    .description("messages whose text or forwarded mail's text contains TEXT, newest first")
    .argument('<text>', 'the text to look for (case-insensitive for ASCII letters)')
    .option(...CONFIG_OPTION)
    .option('--limit <n>', 'at most this many messages', '100')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd tickets search "disk quota" --config config/ticketd.yaml --json')
    .action(async (text: string, options: { config?: string; limit: string; json?: boolean }) => {
      const db = await openConfiguredDatabase(requireConfig(io, options.config));
      try {
        const limit = Math.max(1, Math.min(10_000, Number.parseInt(options.limit, 10) || 100));
        const rows = (await createTicketsRepository({ db }).searchText({ query: text, limit })).map((row) => ({ ref: row.ref, subject: row.subject, visibility: row.visibility, foundIn: row.filename ?? 'body', snippet: snippetOf(row.filename ? (row.attachmentText ?? '') : row.bodyText, text) }));
        if (options.json) printJson(io, rows);
        else printTable(io, ['REF', 'FOUND IN', 'SNIPPET', 'SUBJECT'], rows.map((row) => [row.ref, row.foundIn, row.snippet, row.subject]));
      } finally {
        await closeDatabase(db);
      }
    });
}

/** Up to 60 characters either side of the first match, on one line, without control characters (the text is anyone's). */
function snippetOf(text: string, query: string): string {
  const at = Math.max(0, text.toLowerCase().indexOf(query.toLowerCase()));
  return text.slice(Math.max(0, at - 60), at + query.length + 60).replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
}
