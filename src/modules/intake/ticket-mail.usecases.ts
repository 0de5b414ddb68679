import type { Conversations } from '../conversations/conversation.usecases.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import type { CustomersRepository } from '../customers/customers.repository.js';
import type { InboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import type { TicketsRepository } from '../tickets/tickets.repository.js';
import type { IntakeDecision } from './intake.models.js';
import type { MessageReading } from './message-reading.models.js';
import type { SenderRole } from './sender.models.js';

type OnTicketDecision = Extract<IntakeDecision, { outcome: 'reply' | 'bounce' | 'auto-reply' | 'duplicate' }>;

/**
 * The pipeline's "store" step for mail that lands on an existing ticket: a customer's or an engineer's reply
 * (then conversations takes over: relay, commands, reopen, escalation), or a bounce or an out-of-office
 * about the ticket's mail, recorded on it without reopening or paging. Inside the intake's transaction.
 */
export function createTicketMail({
  tickets,
  inboundLog,
  customers,
  conversations,
}: {
  tickets: TicketsRepository;
  inboundLog: InboundLogRepository;
  customers: CustomersRepository;
  conversations: Conversations;
}) {
  /** Returns the ticket's ref, if the mail landed on one. */
  async function place({ decision, message, reading, senderRole, inboundId, at }: { decision: OnTicketDecision; message: InboundMessage; reading: MessageReading; senderRole: SenderRole; inboundId: number; at: Date }): Promise<string | undefined> {
    const ticketId = decision.ticketId;
    if (decision.outcome === 'bounce') await recordBounce(reading, ticketId, at);
    if (ticketId === undefined) return undefined;
    await inboundLog.linkTicket({ inboundId, ticketId });
    const ticket = await tickets.findById(ticketId);
    const known = message.messageId !== undefined && (await tickets.hasMessage({ ticketId, messageId: message.messageId }));
    if (decision.outcome === 'reply' && ticket) {
      // An outsider answering the ticket's mail: kept for engineers, no state change, no commands, no reply.
      if (decision.internal) {
        if (!known) await conversations.recordInbound({ ticketId, message, inboundId, at, outsider: true });
      } else if (senderRole === 'engineer') await conversations.onEngineerReply({ ticket, message, inboundId, at });
      else if (!known) {
        await conversations.recordInbound({ ticketId, message, inboundId, at });
        await conversations.onCustomerReply({ ticket, message, at, inboundId });
      }
    } else if ((decision.outcome === 'bounce' || decision.outcome === 'auto-reply') && !known) {
      await conversations.recordInbound({ ticketId, message, inboundId, at });
    }
    return ticket?.ref;
  }

  /**
   * A permanent failure marks recipients of our mail as bouncing: no more automatic mail to them. Only when
   * the bounce provably answers our mail on this ticket (intake put it here by our Message-ID or token, never
   * by a subject ref), and only the recipients the report names that our mail on this ticket went to.
   */
  async function recordBounce(reading: MessageReading, ticketId: number | undefined, at: Date): Promise<void> {
    const verdict = reading.kind;
    if (verdict.kind !== 'bounce' || verdict.permanent !== true || ticketId === undefined) return;
    const ourRecipients = new Set(
      (await tickets.listMessages(ticketId))
        .filter((row) => row.direction === 'outbound')
        .flatMap((row) => JSON.parse(row.toJson) as string[])
        .map((address) => address.toLowerCase()),
    );
    const named = reading.failedRecipients.filter((address) => ourRecipients.has(address));
    for (const address of named) await customers.markBouncing({ address, reason: verdict.reason, ticketId, at });
  }

  return { place };
}

export type TicketMail = ReturnType<typeof createTicketMail>;
