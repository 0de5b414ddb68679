import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { parseEngineerReply, participantCommandOf } from '../engineers/commands.models.js';
import { renderEngineerFollowUp, renderEngineerNotification } from '../engineers/notification.models.js';
import { renderRelay } from '../engineers/relay.models.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { newTextOf } from './reply-text.models.js';
import { readSeverity } from '../desk/severity.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { outboundMessageId, plusAddress } from '../threading/reply-token.models.js';
import { threadIndexReply, threadIndexRoot } from '../threading/thread-index.models.js';
import { createLifecycle } from '../tickets/lifecycle.usecases.js';
import { createTicketsRepository, type TicketRow } from '../tickets/tickets.repository.js';
import { domainOf } from '../desk/address.models.js';
import { identityOfRef, ownAddresses } from '../desk/mailboxes.models.js';
import { ticketUrlOf } from '../desk/portal-url.models.js';
import { participantsFrom } from './participants.models.js';
import { createParticipants } from './participants.usecases.js';

/** A notification carries the start of the customer's text; the whole of it is on the ticket. */
const NOTIFICATION_TEXT_CHARS = 20_000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[... ${text.length - max} more characters on the ticket]`;
}

/** What we store of an inbound mail: its new text (quotes and signature cut), the whole text if that is empty. */
export function storedTextOf(message: Pick<InboundMessage, 'text' | 'newText'>): string {
  return newTextOfMessage(message) || message.text.trim();
}

/** The new text intake computed before its transaction, or (a message built by hand) computed now. */
export function newTextOfMessage(message: Pick<InboundMessage, 'text' | 'newText'>): string {
  return message.newText ?? newTextOf(message.text);
}

/**
 * The conversation around a ticket once intake has placed a mail on it: participants, the engineers'
 * notification, an engineer's reply (commands, relay to the customer), a customer's follow-up (reopen,
 * escalate). Async, run inside intake's transaction (the caller's): effects are outbox rows.
 */
export function createConversations({
  db,
  config,
  newMessageId,
  logger = createSilentLogger(),
  templates,
}: {
  db: Db;
  config: Pick<Config, 'support' | 'imap' | 'pager' | 'security' | 'webhook' | 'paging' | 'http' | 'templates'>;
  newMessageId: () => string;
  logger?: Logger;
  templates: MailTemplates;
}) {
  const tickets = createTicketsRepository({ db });
  const outbox = createOutboxRepository({ db });
  const lifecycle = createLifecycle({ db, config, logger });
  const own = ownAddresses(config);
  const secret = config.security.replyTokenSecret;
  const participants = createParticipants({ db, config });

  /** Whom a ticket's mail comes from: the address of its mailbox (by its ref's prefix), the desk's name. */
  function supportOf(ref: string): { address: string; name: string } {
    return { address: identityOfRef(config, ref).address, name: config.support.name };
  }

  /** Where engineers' answers to this ticket's mail go: its mailbox, plus the signed token when a secret is configured. */
  function replyToOf(ref: string): string {
    const { address } = supportOf(ref);
    return secret === '' ? address : plusAddress({ supportAddress: address, ref, secret });
  }

  /** Our Message-ID for a mail of this ticket: carries the signed token when a secret is configured. */
  function messageIdFor(ref: string): string {
    return outboundMessageId({ ref, secret, unique: newMessageId(), domain: domainOf(supportOf(ref).address) || 'localhost' });
  }

  /** The Thread-Index of our mail on this ticket written at `at`. */
  function threadIndexFor(ticket: Pick<TicketRow, 'ref' | 'createdAt' | 'threadIndex'>, at: Date): string {
    return threadIndexReply({ root: ticket.threadIndex ?? threadIndexRoot({ given: undefined, threadKey: ticket.ref, startedAt: ticket.createdAt }), at });
  }

  /** Who joins the ticket from this customer mail (participants.models.ts says who may). */
  function newParticipants(message: InboundMessage, requesterEmail: string): string[] {
    return participantsFrom({ message, requesterEmail, supportAddress: own, engineerDomains: config.support.engineerDomains });
  }

  async function systemNote(ticket: Pick<TicketRow, 'id' | 'ref'>, text: string, at: Date): Promise<void> {
    await tickets.appendNote({ ticketId: ticket.id, text, from: supportOf(ticket.ref).address, at });
  }

  /**
   * An inbound mail as a message of the ticket: its stored text, addresses and attachments (a forwarded mail's
   * text with it, for search), plus a note for what the reader must know (an encrypted body). `outsider`:
   * from outside the requester's organisation and not a participant, so for engineers only.
   */
  async function recordInbound({ ticketId, message, inboundId, at, outsider = false }: { ticketId: number; message: InboundMessage; inboundId: number; at: Date; outsider?: boolean }): Promise<void> {
    await tickets.appendMessage({
      message: {
        ticketId,
        direction: 'inbound',
        messageId: message.messageId ?? null,
        inReplyTo: message.inReplyTo[0] ?? null,
        referencesJson: JSON.stringify(message.references),
        fromAddress: message.from?.address ?? '',
        toJson: JSON.stringify(message.to.map((address) => address.address)),
        subject: message.subject,
        bodyText: storedTextOf(message),
        inboundId,
        createdAt: at,
        visibility: outsider ? 'internal' : 'public',
        fromOutsideOrganisation: outsider,
      },
      files: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256, text: file.text ?? null })),
    });
    const notes = message.notes ?? [];
    const ticket = notes.length > 0 ? await tickets.findById(ticketId) : undefined;
    if (ticket) for (const note of notes) await systemNote(ticket, `${message.from?.address ?? 'The sender'}'s mail: ${note}`, at);
  }

  /** After intake stored a new ticket and its first mail. */
  async function onNewTicket({ ticket, message, at, linkedTicketId, foreignRef }: { ticket: TicketRow; message: InboundMessage; at: Date; linkedTicketId?: number; foreignRef?: string }): Promise<TicketRow> {
    const root = threadIndexRoot({ given: message.headers.get('thread-index')?.[0], threadKey: ticket.ref, startedAt: at });
    await lifecycle.repository.updateTicket(ticket.id, { threadIndex: root, ...(linkedTicketId !== undefined ? { linkedTicketId } : {}) });
    await lifecycle.repository.addParticipants(ticket.id, newParticipants(message, ticket.requesterEmail), at);
    const notes: string[] = [];
    const linked = linkedTicketId === undefined ? undefined : await tickets.findById(linkedTicketId);
    if (linked) notes.push(`Continues closed ticket ${linked.ref}.`);
    if (foreignRef) notes.push(`The subject names ${foreignRef}, a ticket this sender may not write on: not added to it.`);
    for (const note of notes) await systemNote(ticket, note, at);
    const current = (await tickets.findById(ticket.id)) ?? ticket;
    if (config.support.engineerNotify.length > 0) {
      const mail = renderEngineerNotification({
        ticket: current,
        requester: { address: current.requesterEmail, name: current.requesterName },
        text: clip(storedTextOf(message), NOTIFICATION_TEXT_CHARS),
        to: config.support.engineerNotify,
        support: supportOf(current.ref),
        replyTo: replyToOf(current.ref),
        messageId: messageIdFor(current.ref),
        customerMessageId: message.messageId,
        customerReferences: message.references,
        threadIndex: threadIndexFor(current, at),
        notes,
        ticketUrl: ticketUrlOf(config.http, current.ref),
        templates,
      });
      await tickets.appendMessage({
        message: { ticketId: current.id, direction: 'outbound', messageId: mail.messageId, inReplyTo: mail.inReplyTo ?? null, referencesJson: JSON.stringify(mail.references ?? []), fromAddress: supportOf(current.ref).address, toJson: JSON.stringify(mail.to), subject: mail.subject, bodyText: mail.text, inboundId: null, createdAt: at, visibility: 'internal' },
      });
      await outbox.enqueue({ effectKey: `notify:${current.ref}`, ticketId: current.id, payload: { kind: 'email', mail }, at });
    }
    return current;
  }

  /**
   * After intake stored a customer's follow-up on a ticket (by mail or on the portal). The requester may take
   * someone out of the conversation with `#participant remove ADDR` (and only that: other `#` lines of
   * customers are just text).
   */
  async function onCustomerReply({ ticket, message, at, inboundId }: { ticket: TicketRow; message: InboundMessage; at: Date; inboundId?: number }): Promise<void> {
    const fromRequester = message.from?.address.toLowerCase() === ticket.requesterEmail.toLowerCase();
    const removals = fromRequester ? newTextOfMessage(message).split('\n').flatMap((line) => participantCommandOf(line) ?? []).filter((command) => command.action === 'remove') : [];
    const removed = new Set(removals.flatMap((command) => (command.address ? [command.address] : [])));
    await lifecycle.repository.addParticipants(ticket.id, newParticipants(message, ticket.requesterEmail).filter((address) => !removed.has(address)), at);
    for (const command of removals) await participants.change({ ticket, change: command, by: `${ticket.requesterEmail} (the requester)`, at });
    await lifecycle.transition({ ticket, event: { kind: 'customer-reply' }, at });
    // The new text only: a reply quoting an old "SEV1", or a subject still saying it, changes nothing.
    const requested = readSeverity({ subject: '', text: newTextOfMessage(message) });
    await lifecycle.requestSeverity({ ticket: (await tickets.findById(ticket.id)) ?? ticket, requested, by: 'customer', at });
    if (inboundId !== undefined) await mailEngineersOnIt({ ticket: (await tickets.findById(ticket.id)) ?? ticket, message, at, inboundId });
  }

  /**
   * The engineers on a ticket hear of the customer's new message: its assignee, else every engineer who
   * answered it publicly. Before anyone answered, nobody: the new-ticket notification went to
   * support.engineerNotify, and the conversation is on the portal.
   */
  async function mailEngineersOnIt({ ticket, message, at, inboundId }: { ticket: TicketRow; message: InboundMessage; at: Date; inboundId: number }): Promise<void> {
    // Our own mailboxes (help@, billing@) share the engineers' domain but are not engineers.
    const isEngineer = (address: string) => !own.includes(address.toLowerCase()) && config.support.engineerDomains.includes(domainOf(address));
    const answered = (await tickets.listMessages(ticket.id))
      .filter((row) => row.direction === 'outbound' && row.visibility === 'public' && isEngineer(row.fromAddress))
      .map((row) => row.fromAddress.toLowerCase());
    const to = ticket.assignee ? [ticket.assignee] : [...new Set(answered)];
    if (to.length === 0) return;
    const mail = renderEngineerFollowUp({
      ticket,
      author: message.from ?? { address: '', name: '' },
      text: clip(storedTextOf(message), NOTIFICATION_TEXT_CHARS),
      to,
      support: supportOf(ticket.ref),
      replyTo: replyToOf(ticket.ref),
      messageId: messageIdFor(ticket.ref),
      customerMessageId: message.messageId,
      customerReferences: message.references,
      threadIndex: threadIndexFor(ticket, at),
      ticketUrl: ticketUrlOf(config.http, ticket.ref),
      templates,
    });
    await tickets.appendMessage({
      message: { ticketId: ticket.id, direction: 'outbound', messageId: mail.messageId, inReplyTo: mail.inReplyTo ?? null, referencesJson: JSON.stringify(mail.references ?? []), fromAddress: supportOf(ticket.ref).address, toJson: JSON.stringify(mail.to), subject: mail.subject, bodyText: mail.text, inboundId: null, createdAt: at, visibility: 'internal' },
    });
    await outbox.enqueue({ effectKey: `followup:${inboundId}`, ticketId: ticket.id, payload: { kind: 'email', mail }, at });
  }

  /**
   * An engineer's mail on a ticket: a `#note` (or commands alone) is stored for engineers only; a reply the
   * engineer sent to the customer directly (help@ in Cc) is recorded, not sent again; any other reply is
   * relayed to the customer from the ticket's mailbox address with its attachments. Then the commands apply.
   */
  async function onEngineerReply({ ticket, message, inboundId, at }: { ticket: TicketRow; message: InboundMessage; inboundId: number; at: Date }): Promise<void> {
    const engineer = message.from ?? { address: '', name: '' };
    const reply = parseEngineerReply(newTextOfMessage(message));
    // Participants change first, so someone let in by this very mail gets it in Cc.
    for (const command of reply.commands) if (command.kind === 'participant') await participants.change({ ticket, change: command, by: engineer.address, at });
    const customers = [ticket.requesterEmail.toLowerCase(), ...(await lifecycle.repository.listParticipants(ticket.id))];
    const recipients = [...message.to, ...message.cc].map((entry) => entry.address.toLowerCase());
    const wroteDirectly = recipients.some((address) => customers.includes(address));
    const internal = reply.internal || reply.text === '';
    const files = message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256 }));
    const base = { ticketId: ticket.id, direction: 'outbound' as const, fromAddress: engineer.address, subject: message.subject, bodyText: reply.text, inboundId, createdAt: at };

    if (internal || wroteDirectly) {
      await tickets.appendMessage({
        message: { ...base, messageId: message.messageId ?? null, inReplyTo: message.inReplyTo[0] ?? null, referencesJson: JSON.stringify(message.references), toJson: JSON.stringify(recipients), visibility: internal ? 'internal' : 'public' },
        files,
      });
    } else {
      // The customer's latest mail; if none had a Message-ID, our latest mail to them keeps the thread.
      const parent = (await lifecycle.repository.lastCustomerMessage(ticket.id)) ?? (await lifecycle.repository.lastPublicOutbound(ticket.id));
      const mail = renderRelay({
        ref: ticket.ref,
        subject: ticket.subject,
        text: reply.text,
        engineer,
        support: supportOf(ticket.ref),
        to: [ticket.requesterEmail],
        cc: customers.filter((address) => address !== ticket.requesterEmail.toLowerCase()),
        parent: parent?.messageId ? { messageId: parent.messageId, references: JSON.parse(parent.referencesJson) as string[] } : undefined,
        messageId: messageIdFor(ticket.ref),
        threadIndex: threadIndexFor(ticket, at),
        attachments: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, sha256: file.sha256 })),
        templates,
      });
      await tickets.appendMessage({
        message: { ...base, messageId: mail.messageId, inReplyTo: mail.inReplyTo ?? null, referencesJson: JSON.stringify(mail.references ?? []), toJson: JSON.stringify([...mail.to, ...(mail.cc ?? [])]), visibility: 'public' },
        files,
      });
      await outbox.enqueue({ effectKey: `relay:${inboundId}`, ticketId: ticket.id, payload: { kind: 'email', mail }, at });
    }

    const fresh = async () => (await tickets.findById(ticket.id)) ?? ticket;
    if (!internal) {
      await lifecycle.onEngineerResponse({ ticket: await fresh(), engineer: engineer.address, at });
      await lifecycle.transition({ ticket: await fresh(), event: { kind: 'engineer-reply' }, at });
    }
    for (const command of reply.commands) {
      if (command.kind === 'severity') await lifecycle.requestSeverity({ ticket: await fresh(), requested: command.severity, by: 'engineer', at });
      else if (command.kind === 'assign-me') await lifecycle.assign({ ticket: await fresh(), engineer: engineer.address, at });
      else if (command.kind === 'participant') continue;
      else if (command.kind !== 'note') await lifecycle.transition({ ticket: await fresh(), event: { kind: command.kind }, at });
    }
  }

  return { recordInbound, onNewTicket, onCustomerReply, onEngineerReply, messageIdFor, threadIndexFor, lifecycle };
}

export type Conversations = ReturnType<typeof createConversations>;
