import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { buildTriggerEvent } from '../paging/page.models.js';
import { candidateParentIds, refInSubject } from '../threading/threading.models.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { classifyMessage, mustNotAutoReply } from './classify.models.js';
import type { InboundMessage } from './inbound.types.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { createIntakeRepository } from './intake.repository.js';
import { parseRawMessage } from './parse.js';
import { newTextOf } from './reply-text.models.js';
import { domainOf, senderRoleOf } from './sender.models.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { renderNotApproved, renderRegistrationInvite } from '../registration/registration-mail.models.js';
import { publicUrlOf, registerUrl } from '../registration/registration-text.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { failedRecipients, quotedMessageIds } from './bounce.models.js';
import type { Registration } from './intake.models.js';
import type { SenderAuthVerdict } from './sender-auth.models.js';
import { createSenderAuth, type SenderAuth } from './sender-auth.usecases.js';
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

type Facts = { raw: Buffer; rawSha256: string; receivedAt: Date; origin: IngestSource; authenticity: SenderAuthVerdict };

const HOUR_MS = 3_600_000;

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
  senderAuth = createSenderAuth({ security: config.security }),
}: {
  db: Db;
  config: Pick<Config, 'support' | 'pager' | 'limits' | 'imap' | 'http' | 'security'>;
  senderAuth?: SenderAuth;
  clock?: Clock;
  logger?: Logger;
  parse?: typeof parseRawMessage;
  newMessageId?: () => string;
}) {
  const tickets = createTicketsRepository({ db });
  const intake = createIntakeRepository({ db });
  const outbox = createOutboxRepository({ db });
  const customers = createCustomersRepository({ db });
  const rates = createRateLimitRepository({ db });
  const autoReplyLimit = { limit: config.limits.autoRepliesPerHour, windowMs: HOUR_MS };
  const newTicketLimit = { limit: config.limits.newTicketsPerHour, windowMs: HOUR_MS };
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';

  async function ingestRaw({ raw, ...origin }: { raw: Buffer } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    const facts: Facts = { raw, rawSha256: createHash('sha256').update(raw).digest('hex'), receivedAt: clock.now(), origin, authenticity: { authentic: false, reason: 'not parsed' } };
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
    facts.authenticity = await checkSender(raw, message);
    return commit(facts, message, () => decide(message, facts));
  }

  async function checkSender(raw: Buffer, message: InboundMessage): Promise<SenderAuthVerdict> {
    try {
      return await senderAuth.check({ raw, message });
    } catch (error) {
      // Fail closed: a sender we could not check is not authentic (the message is quarantined, not lost).
      return { authentic: false, reason: `check failed: ${describeError(error)}`.slice(0, 200) };
    }
  }

  /**
   * Re-runs the held messages of a sender (just verified) through the same decision and effects, in arrival
   * order. Each keeps its inbound row; a message that is still not allowed stays held without a new reply.
   */
  async function releaseHeld({ email }: { email: string }): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    for (const row of intake.listHeld(email)) {
      const raw = intake.readRaw(row.rawSha256);
      if (!raw) continue;
      let message: InboundMessage;
      try {
        message = await parse(raw, { timeoutMs: config.limits.parseTimeoutSeconds * 1000 });
      } catch {
        continue;
      }
      const facts: Facts = { raw, rawSha256: row.rawSha256, receivedAt: clock.now(), origin: { source: row.source }, authenticity: await checkSender(raw, message) };
      results.push(commit(facts, message, () => decide(message, facts), { inboundId: row.id }));
    }
    return results;
  }

  /** Facts from the database, then the pure decision. Runs inside the write transaction. */
  function decide(message: InboundMessage, facts: Facts): IntakeDecision {
    const from = message.from?.address ?? '';
    const kind = classifyMessage(message);
    // A bounce or an out-of-office of our own mail quotes our Message-ID: that is how it finds its ticket.
    const parentIds = kind.kind === 'ordinary' ? candidateParentIds(message) : [...candidateParentIds(message), ...quotedMessageIds(message)];
    const threadTicketId = tickets.findTicketIdsByMessageIds(parentIds)[0];
    const ref = refInSubject({ subject: message.subject, prefix: config.support.ticketPrefix });
    const refTicket = ref ? tickets.findByRef(ref) : undefined;
    const handledCopy = intake.findHandledCopy({ messageId: message.messageId, rawSha256: facts.rawSha256 });
    const approved = customers.isApprovedDomain(domainOf(from));
    return decideIntake({
      kind,
      senderRole: senderRoleOf({ from, supportAddress: config.support.address, customerDomains: approved ? [domainOf(from)] : [], engineerDomains: config.support.engineerDomains }),
      senderAddress: from,
      isDuplicate: handledCopy !== undefined,
      duplicateOfTicketId: handledCopy?.ticketId ?? undefined,
      threadTicket: threadTicketId === undefined ? undefined : { id: threadTicketId },
      refTicket,
      noAutoReplyReason: mustNotAutoReply(message, { ownAddresses: [config.support.address], loopToken: config.support.address }),
      authenticity: facts.authenticity,
      registration: registrationOf(from),
      floodGuardAllows: rates.peek({ bucket: 'new-ticket', key: from, limit: newTicketLimit, now: facts.receivedAt }),
    });
  }

  function registrationOf(address: string): Registration {
    const user = customers.findUser(address);
    if (user?.status === 'disabled') return 'disabled';
    if (!config.support.requireRegistration) return 'not-required';
    return user?.status ?? 'unregistered';
  }

  /**
   * One automatic mail to `to`, if RFC 3834 allows it, the address does not bounce, and the per-address
   * limit (stored, so it holds across restarts) is not used up. Returns whether it was queued.
   */
  function enqueueAutoMail({ message, mail, effectKey, ticketId, at }: { message: InboundMessage; mail: OutboundMail; effectKey: string; ticketId: number | null; at: Date }): boolean {
    const to = mail.to[0] ?? '';
    if (mustNotAutoReply(message, { ownAddresses: [config.support.address], loopToken: config.support.address })) return false;
    if (customers.isBouncing(to)) return false;
    if (!rates.take({ bucket: 'auto-reply', key: to, limit: autoReplyLimit, now: at })) {
      logger.warn({ to, effectKey }, 'automatic reply suppressed: per-address limit reached');
      return false;
    }
    outbox.enqueue({ effectKey, ticketId, payload: { kind: 'email', mail }, at });
    return true;
  }

  /** The reply a held or refused sender gets (registration link, or how to get approved). */
  function notifySender(decision: IntakeDecision, message: InboundMessage, inboundId: number, at: Date): void {
    if (!('notify' in decision) || !decision.notify || !message.from) return;
    const sender = message.from;
    const support = { address: config.support.address, name: config.support.name };
    const helpAddress = config.support.signupHelpAddress || config.support.address;
    const original = { messageId: message.messageId, references: message.references };
    const messageId = `notice.${newMessageId()}@${supportDomain}`;
    const mail =
      decision.notify === 'registration-link'
        ? renderRegistrationInvite({ to: sender.address, name: sender.name, subject: message.subject, original, registerUrl: registerUrl({ publicUrl: publicUrlOf(config.http), email: sender.address }), support, helpAddress, messageId, pending: decision.reason === 'sender-not-verified' })
        : renderNotApproved({ to: sender.address, name: sender.name, subject: message.subject, original, support, helpAddress, messageId });
    enqueueAutoMail({ message, mail, effectKey: `${decision.notify}:${inboundId}`, ticketId: null, at });
  }

  function commit(facts: Facts, message: InboundMessage | undefined, decideNow: () => IntakeDecision, release?: { inboundId: number }): IngestResult {
    const { origin, rawSha256, receivedAt } = facts;
    const result = db.transaction((): IngestResult => {
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
        if (seen) return alreadyIngested(seen);
      }
      if (release) {
        // Another release (a second click, `users add` while the daemon verifies) may have handled it already.
        const row = intake.findInbound(release.inboundId);
        if (row?.outcome !== 'held') return alreadyIngested(row ?? { id: release.inboundId, outcome: 'held', reason: 'gone', ticketId: null });
      }
      const decision = decideNow();
      if (release) {
        // Still not allowed (e.g. disabled meanwhile): leave it held, and do not reply again.
        if (decision.outcome === 'held') return { inboundId: release.inboundId, outcome: decision.outcome, reason: decision.reason, ticketRef: undefined, alreadyIngested: false };
        intake.updateOutcome({ inboundId: release.inboundId, outcome: decision.outcome, reason: `released after verification: ${decision.reason}` });
        const ticketRef = message ? apply(decision, message, release.inboundId, receivedAt) : undefined;
        return { inboundId: release.inboundId, outcome: decision.outcome, reason: decision.reason, ticketRef, alreadyIngested: false };
      }
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
    if (decision.outcome === 'quarantined' || decision.outcome === 'held') {
      notifySender(decision, message, inboundId, at);
      return undefined;
    }
    if (decision.outcome !== 'ticket') {
      const ticketId = decision.ticketId;
      if (decision.outcome === 'bounce') recordBounce(message, ticketId, at);
      if (ticketId === undefined) return undefined;
      intake.linkTicket({ inboundId, ticketId });
      // Replies, and bounces or out-of-office notes about a ticket's mail, are recorded on it: no reopening, no page.
      if (decision.outcome !== 'duplicate' && !(message.messageId && tickets.hasMessage({ ticketId, messageId: message.messageId }))) {
        storeInboundMessage(ticketId, message, inboundId, at);
      }
      return tickets.findById(ticketId)?.ref;
    }
    rates.take({ bucket: 'new-ticket', key: message.from?.address ?? '', limit: { limit: Number.MAX_SAFE_INTEGER, windowMs: HOUR_MS }, now: at });
    const stated = readSeverity({ subject: message.subject, text: newTextOf(message.text) });
    const severity = stated ?? DEFAULT_SEVERITY;
    const requester = message.from ?? { address: '', name: '' };
    const ticket = tickets.insertTicket({
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
    intake.linkTicket({ inboundId, ticketId: ticket.id });
    storeInboundMessage(ticket.id, message, inboundId, at);
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
        messageId: `${ticket.ref.toLowerCase()}.${newMessageId()}@${supportDomain}`,
      });
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
      enqueueAutoMail({ message, mail, effectKey: `confirmation:${inboundId}`, ticketId: ticket.id, at });
    }
    if (config.pager.kind !== 'none') {
      const event = buildTriggerEvent({ routingKey: config.pager.routingKey, source: config.pager.source, ticket, requester, at });
      outbox.enqueue({ effectKey: `page:${ticket.ref}:trigger:${severity}`, ticketId: ticket.id, payload: { kind: 'page', event }, at });
    }
    return ticket.ref;
  }

  /** A permanent failure marks the recipients of our mail as bouncing: no more automatic mail to them. */
  function recordBounce(message: InboundMessage, ticketId: number | undefined, at: Date): void {
    const verdict = classifyMessage(message);
    if (verdict.kind !== 'bounce' || verdict.permanent !== true || ticketId === undefined) return;
    const ourRecipients = new Set(
      tickets
        .listMessages(ticketId)
        .filter((row) => row.direction === 'outbound')
        .flatMap((row) => JSON.parse(row.toJson) as string[])
        .map((address) => address.toLowerCase()),
    );
    const named = failedRecipients(message).filter((address) => ourRecipients.has(address));
    for (const address of named.length > 0 ? named : [...ourRecipients]) customers.markBouncing({ address, reason: verdict.reason, ticketId, at });
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
        bodyText: message.text,
        inboundId,
        createdAt: at,
      },
      files: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256 })),
    });
  }

  function alreadyIngested(row: { id: number; outcome: IntakeDecision['outcome']; reason: string; ticketId: number | null }): IngestResult {
    const ref = row.ticketId === null ? undefined : tickets.findById(row.ticketId)?.ref;
    return { inboundId: row.id, outcome: row.outcome, reason: row.reason, ticketRef: ref, alreadyIngested: true };
  }

  return { ingestRaw, releaseHeld };
}

export type Intake = ReturnType<typeof createIntake>;
