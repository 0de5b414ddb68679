import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createConversations, storedTextOf } from '../conversations/conversation.usecases.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { buildTriggerEvent } from '../paging/page.models.js';
import { createThreadMatcher } from '../threading/threading.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { classifyMessage, mustNotAutoReply } from './classify.models.js';
import type { InboundMessage } from './inbound.types.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { createIntakeRepository } from './intake.repository.js';
import { parseRawMessage } from './parse.js';
import { newTextOf } from './reply-text.models.js';
import { senderRoleOf } from './sender.models.js';
import { DEFAULT_SEVERITY, priorityOf, readSeverity } from './severity.models.js';

export type IngestSource = { source: string; uidValidity?: string; uid?: number };
export type IngestResult = {
  inboundId: number;
  outcome: IntakeDecision['outcome'];
  reason: string;
  ticketRef: string | undefined;
  /** True when this exact IMAP message (folder, UIDVALIDITY, UID) had been ingested before: nothing was done. */
  alreadyIngested: boolean;
};

type Facts = { raw: Buffer; rawSha256: string; receivedAt: Date; origin: IngestSource };

/**
 * The life of one inbound email: parse, classify, decide, then store the outcome, the ticket and its intended
 * effects (confirmation, page) in ONE synchronous SQLite transaction. Delivery happens later, from the outbox.
 */
export function createIntake({
  db,
  config,
  clock = systemClock,
  logger = createSilentLogger(),
  parse = parseRawMessage,
  newMessageId = () => randomUUID(),
}: {
  db: Db;
  config: Pick<Config, 'support' | 'pager' | 'limits' | 'imap' | 'security'>;
  clock?: Clock;
  logger?: Logger;
  parse?: typeof parseRawMessage;
  newMessageId?: () => string;
}) {
  const tickets = createTicketsRepository({ db });
  const intake = createIntakeRepository({ db });
  const outbox = createOutboxRepository({ db });
  const threads = createThreadMatcher({ db, config });
  const conversations = createConversations({ db, config, newMessageId, logger });

  async function ingestRaw({ raw, ...origin }: { raw: Buffer } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    const facts: Facts = { raw, rawSha256: createHash('sha256').update(raw).digest('hex'), receivedAt: clock.now(), origin };
    if (raw.length > config.limits.maxMessageBytes) {
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `too-large: ${raw.length} bytes > limits.maxMessageBytes ${config.limits.maxMessageBytes}` }));
    }
    let message: InboundMessage;
    try {
      message = await parse(raw, { timeoutMs: config.limits.parseTimeoutSeconds * 1000 });
    } catch (error) {
      const code = isTicketdError(error) ? error.code : 'intake.parse_failed';
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `unparseable: ${code}: ${describeError(error)}`.slice(0, 500) }));
    }
    return commit(facts, message, () => decide(message, facts));
  }

  /** Facts from the database, then the pure decision. Runs inside the write transaction. */
  function decide(message: InboundMessage, facts: Facts): IntakeDecision {
    const senderRole = roleOf(message);
    const kind = classifyMessage(message);
    const handledCopy = intake.findHandledCopy({ messageId: message.messageId, rawSha256: facts.rawSha256 });
    return decideIntake({
      kind,
      senderRole,
      isDuplicate: handledCopy !== undefined,
      duplicateOfTicketId: handledCopy?.ticketId ?? undefined,
      // A customer writing in person must pass threading's sender check. Machine mail (bounces, auto-replies)
      // is only linked to the ticket it answers, for the record; own and unknown senders are quarantined
      // whatever the match: both are matched without the check.
      thread: threads.match(message, senderRole === 'customer' && kind.kind === 'ordinary' ? 'customer' : 'engineer'),
      noAutoReplyReason: mustNotAutoReply(message, { ownAddresses: [config.support.address], loopToken: config.support.address }),
    });
  }

  function commit(facts: Facts, message: InboundMessage | undefined, decideNow: () => IntakeDecision): IngestResult {
    const { origin, rawSha256, receivedAt } = facts;
    const result = db.transaction((): IngestResult => {
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
        if (seen) return alreadyIngested(seen);
      }
      const decision = decideNow();
      intake.storeRaw({ sha256: rawSha256, raw: facts.raw });
      const inbound = intake.insertInbound({
        source: origin.source,
        uidValidity: origin.uidValidity ?? null,
        uid: origin.uid ?? null,
        rawSha256,
        size: facts.raw.length,
        messageId: message?.messageId ?? null,
        fromAddress: message?.from?.address ?? '',
        subject: message?.subject ?? '',
        outcome: decision.outcome,
        reason: decision.reason,
        ticketId: null,
        receivedAt,
      });
      const ticketRef = message ? apply(decision, message, inbound.id, receivedAt) : undefined;
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        intake.saveCursor({ mailbox: origin.source, uidValidity: origin.uidValidity, lastUid: origin.uid, at: receivedAt });
      }
      return { inboundId: inbound.id, outcome: decision.outcome, reason: decision.reason, ticketRef, alreadyIngested: false };
      // IMMEDIATE: take the write lock up front, so a concurrent `ticketd ingest` waits instead of failing.
    }, { behavior: 'immediate' });
    logger.info({ inboundId: result.inboundId, uid: origin.uid, messageId: message?.messageId, ref: result.ticketRef, outcome: result.outcome, reason: result.reason }, 'message ingested');
    return result;
  }

  /** Writes what the decision means: ticket, messages, outbox rows. Returns the ticket ref, if any. */
  function apply(decision: IntakeDecision, message: InboundMessage, inboundId: number, at: Date): string | undefined {
    if (decision.outcome === 'quarantined') return undefined;
    if (decision.outcome !== 'ticket') {
      const ticketId = decision.ticketId;
      if (ticketId === undefined) return undefined;
      intake.linkTicket({ inboundId, ticketId });
      const ticket = tickets.findById(ticketId);
      if (decision.outcome === 'reply' && ticket) {
        if (roleOf(message) === 'engineer') conversations.onEngineerReply({ ticket, message, inboundId, at });
        else if (!(message.messageId && tickets.hasMessage({ ticketId, messageId: message.messageId }))) {
          storeInboundMessage(ticketId, message, inboundId, at);
          conversations.onCustomerReply({ ticket, message, at });
        }
      }
      return ticket?.ref;
    }
    const stated = readSeverity({ subject: message.subject, text: newTextOf(message.text) });
    const severity = stated ?? DEFAULT_SEVERITY;
    const requester = message.from ?? { address: '', name: '' };
    const inserted = tickets.insertTicket({
      prefix: config.support.ticketPrefix,
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
    intake.linkTicket({ inboundId, ticketId: inserted.id });
    storeInboundMessage(inserted.id, message, inboundId, at);
    const ticket = conversations.onNewTicket({ ticket: inserted, message, at, linkedTicketId: decision.linkedTicketId, foreignRef: decision.foreignRef });
    if (decision.confirm) {
      const mail = renderConfirmation({
        ref: ticket.ref,
        subject: message.subject,
        severity,
        severityStated: stated !== undefined,
        customer: requester,
        customerMessageId: message.messageId,
        customerReferences: message.references,
        support: { address: config.support.address, name: config.support.name },
        messageId: conversations.messageIdFor(ticket.ref),
      });
      mail.headers = { ...mail.headers, 'Thread-Index': conversations.threadIndexFor(ticket, at), 'Thread-Topic': message.subject || '(no subject)' };
      tickets.appendMessage({
        message: {
          ticketId: ticket.id,
          direction: 'outbound',
          messageId: mail.messageId,
          inReplyTo: mail.inReplyTo ?? null,
          referencesJson: JSON.stringify(mail.references ?? []),
          fromAddress: config.support.address,
          toJson: JSON.stringify(mail.to),
          subject: mail.subject,
          bodyText: mail.text,
          inboundId: null,
          createdAt: at,
        },
      });
      outbox.enqueue({ effectKey: `confirmation:${inboundId}`, ticketId: ticket.id, payload: { kind: 'email', mail }, at });
    }
    if (config.pager.kind !== 'none') {
      const event = buildTriggerEvent({ routingKey: config.pager.routingKey, source: config.pager.source, ticket, requester, at });
      outbox.enqueue({ effectKey: `page:${ticket.ref}:trigger:${severity}`, ticketId: ticket.id, payload: { kind: 'page', event }, at });
    }
    return ticket.ref;
  }

  function storeInboundMessage(ticketId: number, message: InboundMessage, inboundId: number, at: Date): void {
    tickets.appendMessage({
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
      },
      files: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256 })),
    });
  }

  function roleOf(message: InboundMessage) {
    return senderRoleOf({ from: message.from?.address, supportAddress: config.support.address, customerDomains: config.support.customerDomains, engineerDomains: config.support.engineerDomains });
  }

  function alreadyIngested(row: { id: number; outcome: IntakeDecision['outcome']; reason: string; ticketId: number | null }): IngestResult {
    const ref = row.ticketId === null ? undefined : tickets.findById(row.ticketId)?.ref;
    return { inboundId: row.id, outcome: row.outcome, reason: row.reason, ticketRef: ref, alreadyIngested: true };
  }

  return { ingestRaw };
}

export type Intake = ReturnType<typeof createIntake>;
