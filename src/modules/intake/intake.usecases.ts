import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createError, describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createConversations, storedTextOf } from '../conversations/conversation.usecases.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { firstResponseTargetOf } from '../sla/sla.config.js';
import { candidateParentIds, refInSubject } from '../threading/threading.models.js';
import type { BlobRef, BlobStore } from '../store/blob-store.js';
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

type Facts = {
  blob: BlobRef;
  receivedAt: Date;
  origin: IngestSource;
  /** Set by `reprocess`: the row whose outcome is replaced instead of a new arrival being recorded. */
  replaceInboundId?: number;
  /** `quarantine release`: treat an unknown sender as an allowed customer. */
  release?: boolean;
};

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
  rawStore,
  attachmentStore,
}: {
  db: Db;
  /** Every inbound raw message, gzip-compressed, content-addressed: kept for `reprocess` and audits. */
  rawStore: BlobStore;
  attachmentStore: BlobStore;
  config: Pick<Config, 'support' | 'pager' | 'limits' | 'imap' | 'webhook' | 'paging' | 'http' | 'sla' | 'security'>;
  clock?: Clock;
  logger?: Logger;
  parse?: typeof parseRawMessage;
  newMessageId?: () => string;
}) {
  const tickets = createTicketsRepository({ db });
  const intake = createIntakeRepository({ db });
  const outbox = createOutboxRepository({ db });
  const paging = createPaging({ db, config, clock });
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';
  const threads = createThreadMatcher({ db, config });
  const conversations = createConversations({ db, config, newMessageId, logger });

  /** Stores the raw source (streamed to disk, never whole in memory), then ingests it. */
  async function ingestRaw({ raw, ...origin }: { raw: Buffer | Readable } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    return ingestStored({ blob: await rawStore.put(raw), ...origin });
  }

  /** Ingests a raw message already in the raw store (the mailbox sync streams it there first). */
  async function ingestStored({ blob, replaceInboundId, release, ...origin }: { blob: BlobRef; replaceInboundId?: number; release?: boolean } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    const facts: Facts = { blob, receivedAt: clock.now(), origin, ...(replaceInboundId ? { replaceInboundId } : {}), ...(release ? { release } : {}) };
    if (blob.size > config.limits.maxMessageBytes) {
      // Kept in the raw store, never parsed: one huge mail must not exhaust memory (freescout#4293).
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `too-large: ${blob.size} bytes > limits.maxMessageBytes ${config.limits.maxMessageBytes}` }));
    }
    let message: InboundMessage;
    try {
      message = await parse(rawStore.open(blob.sha256), { timeoutMs: config.limits.parseTimeoutSeconds * 1000, attachmentSink: attachmentStore.writer });
    } catch (error) {
      const code = isTicketdError(error) ? error.code : 'intake.parse_failed';
      if (code === 'store.write_failed') throw error;
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `unparseable: ${describeError(error)}`.slice(0, 500) }));
    }
    return commit(facts, message, () => decide(message, facts));
  }

  /** Facts from the database, then the pure decision. Runs inside the write transaction. */
  function decide(message: InboundMessage, facts: Facts): IntakeDecision {
    const senderRole = roleOf(message, facts);
    const kind = classifyMessage(message);
    const handledCopy = intake.findHandledCopy({ messageId: message.messageId, rawSha256: facts.blob.sha256, ...(facts.replaceInboundId ? { excludeId: facts.replaceInboundId } : {}) });
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
    const { origin, receivedAt } = facts;
    const result = db.transaction((): IngestResult => {
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
        if (seen) return alreadyIngested(seen);
      }
      const decision = decideNow();
      const described = { messageId: message?.messageId ?? null, fromAddress: message?.from?.address ?? '', subject: message?.subject ?? '', outcome: decision.outcome, reason: decision.reason };
      const inbound = facts.replaceInboundId
        ? intake.replaceOutcome({ id: facts.replaceInboundId, ...described })
        : intake.insertInbound({
        source: origin.source,
        uidValidity: origin.uidValidity ?? null,
        uid: origin.uid ?? null,
        rawSha256: facts.blob.sha256,
        size: facts.blob.size,
        ...described,
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
        responseTarget: firstResponseTargetOf({ config, requesterEmail: requester.address, severity }).description,
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
    // PagerDuty trigger and/or webhook ticket.created, now or at the next business-hours start (paging.policy).
    paging.enqueueCreated(ticket, at);
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

  function roleOf(message: InboundMessage, facts?: Facts) {
    const role = senderRoleOf({ from: message.from?.address, supportAddress: config.support.address, customerDomains: config.support.customerDomains, engineerDomains: config.support.engineerDomains });
    // `quarantine release`: an operator vouches for this one unknown sender.
    return facts?.release && role === 'unknown' ? 'customer' : role;
  }

  function alreadyIngested(row: { id: number; outcome: IntakeDecision['outcome']; reason: string; ticketId: number | null }): IngestResult {
    const ref = row.ticketId === null ? undefined : tickets.findById(row.ticketId)?.ref;
    return { inboundId: row.id, outcome: row.outcome, reason: row.reason, ticketRef: ref, alreadyIngested: true };
  }

  /**
   * Runs a stored message through the pipeline again (after a fix or a release), replacing its outcome.
   * Mail that already made a ticket or a reply is left alone: redoing it could only duplicate effects.
   * With `release`, an unknown sender is treated as an allowed customer (`quarantine release`).
   */
  async function reprocess({ inboundId, release = false }: { inboundId: number; release?: boolean }): Promise<IngestResult> {
    const row = intake.findById(inboundId);
    if (!row) throw createError({ code: 'intake.not_found', message: `no inbound message ${inboundId}` });
    if (row.outcome === 'ticket' || row.outcome === 'reply' || row.outcome === 'duplicate') {
      throw createError({ code: 'intake.already_handled', message: `message ${inboundId} already has the outcome ${row.outcome}; only unhandled mail is reprocessed` });
    }
    if (!rawStore.has(row.rawSha256)) throw createError({ code: 'intake.raw_missing', message: `the raw source of message ${inboundId} is not in the raw store` });
    return ingestStored({ blob: { sha256: row.rawSha256, size: row.size }, source: row.source, replaceInboundId: row.id, release });
  }

  return { ingestRaw, ingestStored, reprocess };
}

export type Intake = ReturnType<typeof createIntake>;
