import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createError, describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createConversations, storedTextOf } from '../conversations/conversation.usecases.js';
import { renderConfirmation } from '../mail-out/confirmation.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { firstResponseTargetOf } from '../sla/sla.config.js';
import type { BlobRef, BlobStore } from '../store/blob-store.js';
import { createThreadMatcher } from '../threading/threading.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { classifyMessage, mustNotAutoReply } from './classify.models.js';
import type { InboundMessage } from './inbound.types.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { createIntakeRepository } from './intake.repository.js';
import { parseRawMessage } from './parse.js';
import { newTextOf } from './reply-text.models.js';
import { domainOf, senderRoleOf, type SenderRole } from './sender.models.js';
import type { ThreadMatch } from '../threading/threading.models.js';
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

type Facts = {
  blob: BlobRef;
  receivedAt: Date;
  origin: IngestSource;
  /** Is the From proven (security.senderAuth)? Checked after parsing. */
  authenticity: SenderAuthVerdict;
  /** Set by `reprocess` and held-mail release: the row whose outcome is replaced, no new arrival recorded. */
  replaceInboundId?: number;
  /** Replace only while the row still has this outcome: a held message released twice is handled once. */
  replaceOnlyIf?: IntakeDecision['outcome'];
  /** `quarantine release`: treat an unknown sender as an allowed customer. */
  release?: boolean;
};

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
  rawStore,
  attachmentStore,
  senderAuth = createSenderAuth({ security: config.security }),
  templates = requireMailTemplates({ dir: config.templates.dir }),
}: {
  db: Db;
  /** Every inbound raw message, gzip-compressed, content-addressed: kept for `reprocess` and audits. */
  rawStore: BlobStore;
  attachmentStore: BlobStore;
  config: Pick<Config, 'support' | 'pager' | 'limits' | 'imap' | 'webhook' | 'paging' | 'http' | 'sla' | 'security' | 'templates'>;
  senderAuth?: SenderAuth;
  /** Every mail's text and HTML; default: loaded from config.templates.dir (the composition root passes its one set). */
  templates?: MailTemplates;
  clock?: Clock;
  logger?: Logger;
  parse?: typeof parseRawMessage;
  newMessageId?: () => string;
}) {
  const tickets = createTicketsRepository({ db });
  const intake = createIntakeRepository({ db });
  const outbox = createOutboxRepository({ db });
  const paging = createPaging({ db, config, clock, templates });
  const customers = createCustomersRepository({ db });
  const rates = createRateLimitRepository({ db });
  const autoReplyLimit = { limit: config.limits.autoRepliesPerHour, windowMs: HOUR_MS };
  const newTicketLimit = { limit: config.limits.newTicketsPerHour, windowMs: HOUR_MS };
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';
  const threads = createThreadMatcher({ db, config });
  const conversations = createConversations({ db, config, newMessageId, logger, templates });

  /** Stores the raw source (streamed to disk, never whole in memory), then ingests it. */
  async function ingestRaw({ raw, ...origin }: { raw: Buffer | Readable } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    return ingestStored({ blob: await rawStore.put(raw), ...origin });
  }

  /**
   * Ingests a raw message already in the raw store (the mailbox sync stores it there first). `raw`: the same
   * bytes, when the caller still holds them (a batch fetch), so they are parsed without reading the store back.
   */
  async function ingestStored({
    blob,
    raw,
    replaceInboundId,
    replaceOnlyIf,
    release,
    ...origin
  }: { blob: BlobRef; raw?: Buffer; replaceInboundId?: number; replaceOnlyIf?: IntakeDecision['outcome']; release?: boolean } & IngestSource): Promise<IngestResult> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      if (seen) return alreadyIngested(seen);
    }
    const facts: Facts = {
      blob,
      receivedAt: clock.now(),
      origin,
      authenticity: { authentic: false, reason: 'not parsed' },
      ...(replaceInboundId ? { replaceInboundId } : {}),
      ...(replaceOnlyIf ? { replaceOnlyIf } : {}),
      ...(release ? { release } : {}),
    };
    if (blob.size > config.limits.maxMessageBytes) {
      // Kept in the raw store, never parsed: one huge mail must not exhaust memory (freescout#4293).
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `too-large: ${blob.size} bytes > limits.maxMessageBytes ${config.limits.maxMessageBytes}` }));
    }
    let message: InboundMessage;
    try {
      message = await parse(raw ? Readable.from([raw]) : rawStore.open(blob.sha256), { timeoutMs: config.limits.parseTimeoutSeconds * 1000, attachmentSink: attachmentStore.writer });
    } catch (error) {
      const code = isTicketdError(error) ? error.code : 'intake.parse_failed';
      if (code === 'store.write_failed') throw error;
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `unparseable: ${describeError(error)}`.slice(0, 500) }));
    }
    facts.authenticity = await checkSender(blob, message, raw);
    return commit(facts, message, () => decide(message, facts));
  }

  async function checkSender(blob: BlobRef, message: InboundMessage, raw: Buffer | undefined): Promise<SenderAuthVerdict> {
    try {
      // The raw bytes are needed only in `verify` mode (DKIM); `authres` reads headers.
      return await senderAuth.check({ raw: async () => raw ?? rawStore.read(blob.sha256), message });
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
      if (!rawStore.has(row.rawSha256)) continue;
      results.push(await ingestStored({ blob: { sha256: row.rawSha256, size: row.size }, source: row.source, replaceInboundId: row.id, replaceOnlyIf: 'held' }));
    }
    return results;
  }

  /** Facts from the database, then the pure decision. Runs inside the write transaction. */
  function decide(message: InboundMessage, facts: Facts): IntakeDecision {
    const senderRole = roleOf(message, facts);
    const kind = classifyMessage(message);
    const from = message.from?.address ?? '';
    const handledCopy = intake.findHandledCopy({ messageId: message.messageId, rawSha256: facts.blob.sha256, ...(facts.replaceInboundId ? { excludeId: facts.replaceInboundId } : {}) });
    return decideIntake({
      kind,
      senderRole,
      isDuplicate: handledCopy !== undefined,
      duplicateOfTicketId: handledCopy?.ticketId ?? undefined,
      thread: threadOf(message, senderRole, kind.kind),
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
        ? renderRegistrationInvite({ to: sender.address, name: sender.name, subject: message.subject, original, registerUrl: registerUrl({ publicUrl: publicUrlOf(config.http), email: sender.address }), support, helpAddress, messageId, pending: decision.reason === 'sender-not-verified', templates })
        : renderNotApproved({ to: sender.address, name: sender.name, subject: message.subject, original, support, helpAddress, messageId, templates });
    enqueueAutoMail({ message, mail, effectKey: `${decision.notify}:${inboundId}`, ticketId: null, at });
  }

  function commit(facts: Facts, message: InboundMessage | undefined, decideNow: () => IntakeDecision): IngestResult {
    const { origin, receivedAt } = facts;
    const result = db.transaction((): IngestResult => {
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        const seen = intake.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
        if (seen) return alreadyIngested(seen);
      }
      if (facts.replaceInboundId !== undefined && facts.replaceOnlyIf !== undefined) {
        // Another release (a second click, `users add` while the daemon verifies) may have handled it already.
        const row = intake.findById(facts.replaceInboundId);
        if (row?.outcome !== facts.replaceOnlyIf) return alreadyIngested(row ?? { id: facts.replaceInboundId, outcome: facts.replaceOnlyIf, reason: 'gone', ticketId: null });
      }
      const decision = decideNow();
      if (facts.replaceOnlyIf === 'held' && decision.outcome === 'held') {
        // Still not allowed (e.g. disabled meanwhile): it stays held, and gets no second reply.
        return { inboundId: facts.replaceInboundId ?? 0, outcome: decision.outcome, reason: decision.reason, ticketRef: undefined, alreadyIngested: false };
      }
      const reason = facts.replaceOnlyIf === 'held' ? `released after verification: ${decision.reason}` : decision.reason;
      const described = { messageId: message?.messageId ?? null, fromAddress: message?.from?.address ?? '', subject: message?.subject ?? '', outcome: decision.outcome, reason };
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
    if (decision.outcome === 'quarantined' || decision.outcome === 'held') {
      notifySender(decision, message, inboundId, at);
      return undefined;
    }
    if (decision.outcome !== 'ticket') {
      const ticketId = decision.ticketId;
      if (decision.outcome === 'bounce') recordBounce(message, ticketId, at);
      if (ticketId === undefined) return undefined;
      intake.linkTicket({ inboundId, ticketId });
      const ticket = tickets.findById(ticketId);
      const known = message.messageId !== undefined && tickets.hasMessage({ ticketId, messageId: message.messageId });
      if (decision.outcome === 'reply' && ticket) {
        if (roleOf(message) === 'engineer') conversations.onEngineerReply({ ticket, message, inboundId, at });
        else if (!known) {
          storeInboundMessage(ticketId, message, inboundId, at);
          conversations.onCustomerReply({ ticket, message, at });
        }
      } else if ((decision.outcome === 'bounce' || decision.outcome === 'auto-reply') && !known) {
        // A bounce or an out-of-office about a ticket's mail is recorded on it: no reopening, no page.
        storeInboundMessage(ticketId, message, inboundId, at);
      }
      return ticket?.ref;
    }
    rates.take({ bucket: 'new-ticket', key: message.from?.address ?? '', limit: { limit: Number.MAX_SAFE_INTEGER, windowMs: HOUR_MS }, now: at });
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
        templates,
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
      enqueueAutoMail({ message, mail, effectKey: `confirmation:${inboundId}`, ticketId: ticket.id, at });
    }
    // PagerDuty trigger and/or webhook ticket.created, now or at the next business-hours start (paging.policy).
    paging.enqueueCreated(ticket, at);
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
        bodyText: storedTextOf(message),
        inboundId,
        createdAt: at,
      },
      files: message.attachments.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size, sha256: file.sha256 })),
    });
  }

  /**
   * A customer writing in person must pass threading's sender check. Machine mail (bounces, auto-replies) is
   * only linked to the ticket it answers, for the record, also through the Message-ID of our mail it quotes
   * (that is how a bounce of OUR mail finds its ticket); own and unknown senders are quarantined whatever
   * the match, so both are matched without the check.
   */
  function threadOf(message: InboundMessage, senderRole: SenderRole, kind: string): ThreadMatch {
    const thread = threads.match(message, senderRole === 'customer' && kind === 'ordinary' ? 'customer' : 'engineer');
    if (kind === 'ordinary' || thread.kind === 'ticket') return thread;
    const quoted = tickets.findTicketIdsByMessageIds(quotedMessageIds(message))[0];
    return quoted === undefined ? thread : { kind: 'ticket', ticketId: quoted, via: 'message-id' };
  }

  function roleOf(message: InboundMessage, facts?: Facts) {
    const from = message.from?.address ?? '';
    // Approved domains live in the database (seeded from support.customerDomains, managed by `ticketd domains`).
    const approved = config.support.customerDomains.includes(domainOf(from)) || customers.isApprovedDomain(domainOf(from));
    const customerDomains = approved ? [domainOf(from)] : [];
    const role = senderRoleOf({ from, supportAddress: config.support.address, customerDomains, engineerDomains: config.support.engineerDomains });
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

  return { ingestRaw, ingestStored, reprocess, releaseHeld };
}

export type Intake = ReturnType<typeof createIntake>;
