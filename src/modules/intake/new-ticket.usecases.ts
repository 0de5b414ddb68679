import type { Config } from '../../config/config.schema.js';
import type { Conversations } from '../conversations/conversation.usecases.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { identityOfRef, identityOfSource } from '../desk/mailboxes.models.js';
import { DEFAULT_SEVERITY, priorityOf, type Severity } from '../desk/severity.models.js';
import { ticketUrlOf } from '../desk/portal-url.models.js';
import type { InboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import type { Paging } from '../paging/paging.usecases.js';
import type { RateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { firstResponseTargetOf } from '../sla/sla.config.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import type { TicketRow, TicketsRepository } from '../tickets/tickets.repository.js';
import type { AutoMail } from './auto-mail.usecases.js';
import type { IntakeDecision } from './intake.models.js';
import type { MessageReading } from './message-reading.models.js';

const HOUR_MS = 3_600_000;

type NewTicketDecision = Extract<IntakeDecision, { outcome: 'ticket' }>;

/**
 * The pipeline's last steps for a mail that opens a ticket: store it (the ticket, its first message),
 * confirm (the customer's threaded confirmation), notify (engineers, via conversations) and page.
 * Inside the intake's transaction (database work only): every effect is an outbox row.
 */
export function createNewTicket({
  config,
  tickets,
  inboundLog,
  rates,
  conversations,
  paging,
  autoMail,
  templates,
}: {
  config: Pick<Config, 'support' | 'imap' | 'sla' | 'paging' | 'http'>;
  tickets: TicketsRepository;
  inboundLog: InboundLogRepository;
  rates: RateLimitRepository;
  conversations: Conversations;
  paging: Paging;
  autoMail: AutoMail;
  templates: MailTemplates;
}) {
  /**
   * Returns the new ticket's ref. `source`: the arrival's (a mailbox's name, `lmtp`, `web`, `file`): the ticket
   * gets that mailbox's prefix, the desk's for any other. `severity`: chosen on the portal's form, instead of
   * read from the text.
   */
  async function open({ decision, message, reading, source, inboundId, at, severity: chosen }: { decision: NewTicketDecision; message: InboundMessage; reading: MessageReading; source: string; inboundId: number; at: Date; severity?: Severity }): Promise<string> {
    // Counted for the flood guard (decideIntake peeks at this bucket before a sender's next ticket).
    await rates.take({ bucket: 'new-ticket', key: message.from?.address ?? '', limit: { limit: Number.MAX_SAFE_INTEGER, windowMs: HOUR_MS }, now: at });
    const stated = chosen ?? reading.severity;
    const severity = stated ?? DEFAULT_SEVERITY;
    const requester = message.from ?? { address: '', name: '' };
    const inserted = await tickets.insertTicket({
      prefix: identityOfSource(config, source).prefix,
      ticket: {
        subject: message.subject,
        severity,
        priority: priorityOf(severity),
        status: 'new',
        requesterEmail: requester.address,
        requesterName: requester.name,
        createdAt: at,
        updatedAt: at,
      },
    });
    await inboundLog.linkTicket({ inboundId, ticketId: inserted.id });
    await conversations.recordInbound({ ticketId: inserted.id, message, inboundId, at });
    const ticket = await conversations.onNewTicket({ ticket: inserted, message, at, linkedTicketId: decision.linkedTicketId, foreignRef: decision.foreignRef });
    if (decision.confirm) await confirm({ ticket, message, reading, severityStated: stated !== undefined, inboundId, at });
    // PagerDuty trigger and/or webhook ticket.created, now or at the next business-hours start (paging.policy).
    await paging.enqueueCreated(ticket, at);
    return ticket.ref;
  }

  /** The customer's confirmation, from the ticket's mailbox, threaded under their mail and recorded on the ticket. */
  async function confirm({ ticket, message, reading, severityStated, inboundId, at }: { ticket: TicketRow; message: InboundMessage; reading: MessageReading; severityStated: boolean; inboundId: number; at: Date }): Promise<void> {
    const requester = message.from ?? { address: '', name: '' };
    const { address } = identityOfRef(config, ticket.ref);
    const mail = renderConfirmation({
      ref: ticket.ref,
      subject: message.subject,
      severity: ticket.severity,
      severityStated,
      customer: requester,
      customerMessageId: message.messageId,
      customerReferences: message.references,
      support: { address, name: config.support.name },
      messageId: conversations.messageIdFor(ticket.ref),
      responseTarget: firstResponseTargetOf({ config, requesterEmail: requester.address, severity: ticket.severity }).description,
      ticketUrl: ticketUrlOf(config.http, ticket.ref),
      templates,
    });
    mail.headers = { ...mail.headers, 'Thread-Index': conversations.threadIndexFor(ticket, at), 'Thread-Topic': message.subject || '(no subject)' };
    await tickets.appendMessage({
      message: {
        ticketId: ticket.id,
        direction: 'outbound',
        messageId: mail.messageId,
        inReplyTo: mail.inReplyTo ?? null,
        referencesJson: JSON.stringify(mail.references ?? []),
        fromAddress: address,
        toJson: JSON.stringify(mail.to),
        subject: mail.subject,
        bodyText: mail.text,
        inboundId: null,
        createdAt: at,
      },
    });
    await autoMail.enqueue({ noAutoReplyReason: reading.noAutoReplyReason, mail, effectKey: `confirmation:${inboundId}`, ticketId: ticket.id, at });
  }

  return { open };
}

export type NewTicket = ReturnType<typeof createNewTicket>;
