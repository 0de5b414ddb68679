import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createError, describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createConversations } from '../conversations/conversation.usecases.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { createInboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createPaging } from '../paging/paging.usecases.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import type { BlobRef, BlobStore } from '../store/blob-store.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import type { ThreadMatch } from '../threading/threading.models.js';
import { createThreadMatcher } from '../threading/threading.usecases.js';
import { createTicketsRepository } from '../tickets/tickets.repository.js';
import { createAutoMail } from './auto-mail.usecases.js';
import { quotedMessageIds } from './bounce.models.js';
import { classifyMessage, mustNotAutoReply } from './classify.models.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { MAIL_HEAD_BYTES, readMailShape } from './mail-shape.models.js';
import { createNewTicket } from './new-ticket.usecases.js';
import { parseRawMessage } from './parse.js';
import { sameBytesAsEarlier } from './same-bytes.models.js';
import type { SenderAuthVerdict } from './sender-auth.models.js';
import { createSenderAuth, type SenderAuth } from './sender-auth.usecases.js';
import { createSenderCheck } from './sender-check.usecases.js';
import type { SenderRole } from './sender.models.js';
import { createTicketMail } from './ticket-mail.usecases.js';
import { createWebIntake } from './web-ticket.usecases.js';

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
 * The life of one inbound email, the pipeline on top of the modules it drives: parse, authenticate, then in
 * ONE synchronous SQLite transaction classify, check the sender, thread, decide, and store the outcome with
 * the ticket and its intended effects (confirmation, notification, page) as outbox rows. Delivery happens
 * later, from the outbox. Each step's rules live in the step's own module or file; this file only orders them.
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
  const inboundLog = createInboundLogRepository({ db });
  const customers = createCustomersRepository({ db });
  const rates = createRateLimitRepository({ db });
  const newTicketLimit = { limit: config.limits.newTicketsPerHour, windowMs: HOUR_MS };
  const senders = createSenderCheck({ customers, config });
  const threads = createThreadMatcher({ db, config });
  const conversations = createConversations({ db, config, newMessageId, logger, templates });
  const autoMail = createAutoMail({ config, customers, rates, outbox: createOutboxRepository({ db }), templates, newMessageId, logger });
  const newTicket = createNewTicket({ config, tickets, inboundLog, rates, conversations, paging: createPaging({ db, config, clock, templates }), autoMail, templates });
  const ticketMail = createTicketMail({ tickets, inboundLog, customers, conversations });
  const web = createWebIntake({ db, config, clock, logger, rawStore, attachmentStore, senders, rates, inboundLog, tickets, newTicket, ticketMail, newMessageId });

  /** Stores the raw source (streamed to disk, never whole in memory), then ingests it. */
  async function ingestRaw({ raw, ...origin }: { raw: Buffer | Readable } & IngestSource): Promise<IngestResult> {
    const seen = seenBefore(origin);
    if (seen) return seen;
    return ingestStored({ blob: await rawStore.put(raw), ...origin });
  }

  /**
   * The pipeline, for a raw message already in the raw store (the mailbox sync stores it there first). `raw`:
   * the same bytes, when the caller still holds them (a batch fetch), so they are parsed without a read back.
   */
  async function ingestStored({
    blob,
    raw,
    replaceInboundId,
    replaceOnlyIf,
    release,
    ...origin
  }: { blob: BlobRef; raw?: Buffer; replaceInboundId?: number; replaceOnlyIf?: IntakeDecision['outcome']; release?: boolean } & IngestSource): Promise<IngestResult> {
    const seen = seenBefore(origin, blob, replaceInboundId !== undefined);
    if (seen) return seen;
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
    // Not a mail at all (a package.json, a photo): recorded, never parsed or answered (mail-shape.models.ts).
    const shape = readMailShape(raw ? raw.subarray(0, MAIL_HEAD_BYTES) : await rawStore.head(blob.sha256, MAIL_HEAD_BYTES));
    if (!shape.mail) return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `not-a-mail: ${shape.reason}` }));
    // 1. parse
    let message: InboundMessage;
    try {
      message = await parse(raw ? Readable.from([raw]) : rawStore.open(blob.sha256), { timeoutMs: config.limits.parseTimeoutSeconds * 1000, attachmentSink: attachmentStore.writer });
    } catch (error) {
      const code = isTicketdError(error) ? error.code : 'intake.parse_failed';
      if (code === 'store.write_failed') throw error;
      return commit(facts, undefined, () => ({ outcome: 'quarantined', reason: `unparseable: ${describeError(error)}`.slice(0, 500) }));
    }
    // 2. authenticate (may need DNS: before the transaction)
    facts.authenticity = await authenticate(blob, message, raw);
    // 3-8. classify, check the sender, thread, decide; then store, confirm/notify, page: one commit
    return commit(facts, message, () => decide(message, facts));
  }

  async function authenticate(blob: BlobRef, message: InboundMessage, raw: Buffer | undefined): Promise<SenderAuthVerdict> {
    try {
      // The raw bytes are needed only in `verify` mode (DKIM); `authres` reads headers.
      return await senderAuth.check({ raw: async () => raw ?? rawStore.read(blob.sha256), message });
    } catch (error) {
      // Fail closed: a sender we could not check is not authentic (the message is quarantined, not lost).
      return { authentic: false, reason: `check failed: ${describeError(error)}`.slice(0, 200) };
    }
  }

  /** Facts from the database, then the pure decision. Runs inside the write transaction. */
  function decide(message: InboundMessage, facts: Facts): IntakeDecision {
    const kind = classifyMessage(message); // 3. classify
    const senderRole = senders.roleOf(message, { release: facts.release }); // 4. check the sender
    const from = message.from?.address ?? '';
    const handledCopy = inboundLog.findHandledCopy({ messageId: message.messageId, rawSha256: facts.blob.sha256, ...(facts.replaceInboundId ? { excludeId: facts.replaceInboundId } : {}) });
    return decideIntake({
      kind,
      senderRole,
      isDuplicate: handledCopy !== undefined,
      duplicateOfTicketId: handledCopy?.ticketId ?? undefined,
      thread: threadOf(message, senderRole, kind.kind), // 5. thread
      noAutoReplyReason: mustNotAutoReply(message, { ownAddresses: [config.support.address], loopToken: config.support.address }),
      authenticity: facts.authenticity,
      registration: senders.registrationOf(from),
      floodGuardAllows: rates.peek({ bucket: 'new-ticket', key: from, limit: newTicketLimit, now: facts.receivedAt }),
    });
  }

  /** What the decision means: a ticket (store, confirm, notify, page), mail on a ticket, or a notice to the sender. */
  function apply(decision: IntakeDecision, message: InboundMessage, inboundId: number, at: Date): string | undefined {
    if (decision.outcome === 'ticket') return newTicket.open({ decision, message, inboundId, at });
    if (decision.outcome === 'quarantined' || decision.outcome === 'held') {
      autoMail.notifySender(decision, message, inboundId, at);
      return undefined;
    }
    return ticketMail.place({ decision, message, senderRole: senders.roleOf(message), inboundId, at });
  }

  /** The one write transaction: the recorded outcome, what it means, and the folder's cursor, together. */
  function commit(facts: Facts, message: InboundMessage | undefined, decideNow: () => IntakeDecision): IngestResult {
    const { origin, receivedAt } = facts;
    const result = db.transaction((): IngestResult => {
      const seen = seenBefore(origin, facts.blob, facts.replaceInboundId !== undefined);
      if (seen) return seen;
      if (facts.replaceInboundId !== undefined && facts.replaceOnlyIf !== undefined) {
        // Another release (a second click, `users add` while the daemon verifies) may have handled it already.
        const row = inboundLog.findById(facts.replaceInboundId);
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
        ? inboundLog.replaceOutcome({ id: facts.replaceInboundId, ...described })
        : inboundLog.insertInbound({ source: origin.source, uidValidity: origin.uidValidity ?? null, uid: origin.uid ?? null, rawSha256: facts.blob.sha256, size: facts.blob.size, ...described, ticketId: null, receivedAt });
      const ticketRef = message ? apply(decision, message, inbound.id, receivedAt) : undefined;
      if (origin.uidValidity !== undefined && origin.uid !== undefined) {
        inboundLog.saveCursor({ mailbox: origin.source, uidValidity: origin.uidValidity, lastUid: origin.uid, at: receivedAt });
      }
      return { inboundId: inbound.id, outcome: decision.outcome, reason: decision.reason, ticketRef, alreadyIngested: false };
      // IMMEDIATE: take the write lock up front, so a concurrent `ticketd ingest` waits instead of failing.
    }, { behavior: 'immediate' });
    logger.info({ inboundId: result.inboundId, uid: origin.uid, messageId: message?.messageId, ref: result.ticketRef, outcome: result.outcome, reason: result.reason }, 'message ingested');
    return result;
  }

  /**
   * A customer writing in person must pass threading's sender check. Machine mail (bounces, auto-replies) is
   * only linked to the ticket it answers, for the record, also through the Message-ID of our mail it quotes
   * (that is how a bounce of OUR mail finds its ticket); own and unknown senders are quarantined whatever
   * the match, so both are matched without the check.
   */
  function threadOf(message: InboundMessage, senderRole: SenderRole, kind: string): ThreadMatch {
    // A person's mail is checked against who may write on the ticket (an unknown sender may be a participant
    // or an outsider answering its mail); machine mail and engineers' mail are matched without the check.
    const person = (senderRole === 'customer' || senderRole === 'unknown') && kind === 'ordinary';
    const thread = threads.match(message, person ? 'customer' : 'engineer');
    if (kind === 'ordinary' || thread.kind === 'ticket') return thread;
    const quoted = tickets.findTicketIdsByMessageIds(quotedMessageIds(message))[0];
    return quoted === undefined ? thread : { kind: 'ticket', ticketId: quoted, via: 'message-id' };
  }

  /**
   * This exact IMAP message (folder, UIDVALIDITY, UID) was ingested before, or (from a file or stdin) these exact
   * bytes were (same-bytes.models.ts): the recorded outcome, nothing done.
   */
  function seenBefore(origin: IngestSource, blob?: BlobRef, replacing = false): IngestResult | undefined {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = inboundLog.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      return seen ? alreadyIngested(seen) : undefined;
    }
    const earlier = blob ? inboundLog.findFirstByRawSha256(blob.sha256) : undefined;
    const repeat = sameBytesAsEarlier({ imapArrival: false, replacing, earlier });
    return repeat && earlier ? { ...alreadyIngested(earlier), ...repeat } : undefined;
  }

  function alreadyIngested(row: { id: number; outcome: IntakeDecision['outcome']; reason: string; ticketId: number | null }): IngestResult {
    const ref = row.ticketId === null ? undefined : tickets.findById(row.ticketId)?.ref;
    return { inboundId: row.id, outcome: row.outcome, reason: row.reason, ticketRef: ref, alreadyIngested: true };
  }

  /**
   * Re-runs the held messages of a sender (just verified) through the same decision and effects, in arrival
   * order. Each keeps its inbound row; a message that is still not allowed stays held without a new reply.
   */
  async function releaseHeld({ email }: { email: string }): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    for (const row of inboundLog.listHeld(email)) {
      if (!rawStore.has(row.rawSha256)) continue;
      results.push(await ingestStored({ blob: { sha256: row.rawSha256, size: row.size }, source: row.source, replaceInboundId: row.id, replaceOnlyIf: 'held' }));
    }
    return results;
  }

  /**
   * Runs a stored message through the pipeline again (after a fix or a release), replacing its outcome.
   * Mail that already made a ticket or a reply is left alone: redoing it could only duplicate effects.
   * With `release`, an unknown sender is treated as an allowed customer (`quarantine release`).
   */
  async function reprocess({ inboundId, release = false }: { inboundId: number; release?: boolean }): Promise<IngestResult> {
    const row = inboundLog.findById(inboundId);
    if (!row) throw createError({ code: 'intake.not_found', message: `no inbound message ${inboundId}` });
    if (row.outcome === 'ticket' || row.outcome === 'reply' || row.outcome === 'duplicate') {
      throw createError({ code: 'intake.already_handled', message: `message ${inboundId} already has the outcome ${row.outcome}; only unhandled mail is reprocessed` });
    }
    if (!rawStore.has(row.rawSha256)) throw createError({ code: 'intake.raw_missing', message: `the raw source of message ${inboundId} is not in the raw store` });
    return ingestStored({ blob: { sha256: row.rawSha256, size: row.size }, source: row.source, replaceInboundId: row.id, release });
  }

  return { ingestRaw, ingestStored, reprocess, releaseHeld, submitWeb: web.submit };
}

export type Intake = ReturnType<typeof createIntake>;
