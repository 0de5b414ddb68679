import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createError, describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { stagesOf, type ArrivalTrace } from '../../shared/stage-trace.js';
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
import { identityOf } from './identity.models.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { MAIL_HEAD_BYTES, readMailShape } from './mail-shape.models.js';
import { messageBudgetMs } from './message-budget.models.js';
import type { MessageReading } from './message-reading.models.js';
import { createNewTicket } from './new-ticket.usecases.js';
import { createPoisonGuard } from './poison-message.models.js';
import { createPoisonRecorder } from './poison-message.usecases.js';
import { commitInOrder } from './ordered-batch.js';
import { createInProcessParser, type MessageParser } from './parse-pool.js';
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
  fence?: () => Promise<void>;
  /** The message's moments so far (this copy is the message's own; parsing and authenticating add to it). */
  trace: ArrivalTrace;
};

/** A message in the raw store, with its bytes when the caller still holds them; the options of reprocess and release. `fence`: checked inside the write transaction before anything is recorded; throws once this process may no longer record mail from its source (a lost mailbox lease). */
export type StoredArrival = { blob: BlobRef; raw?: Buffer; replaceInboundId?: number; replaceOnlyIf?: IntakeDecision['outcome']; release?: boolean; trace?: ArrivalTrace; fence?: () => Promise<void> } & IngestSource;

/** Parsed, read and authenticated, waiting for the transaction: the decision runs inside it, on the facts then. */
type Prepared = { kind: 'prepared'; facts: Facts; message: InboundMessage | undefined; decideNow: () => IntakeDecision | Promise<IntakeDecision>; reading?: MessageReading };

const HOUR_MS = 3_600_000;
/** A backlog commits several messages per transaction, but holds the write lock at most this long at a time. */
const BATCH_COMMIT_MAX_MS = 50;
const BATCH_COMMIT_MAX_MESSAGES = 50;

/**
 * The life of one inbound email, the pipeline on top of the modules it drives: parse, authenticate, then in
 * ONE SQLite write transaction (database work only) classify, check the sender, thread, decide, and store the outcome with
 * the ticket and its intended effects (confirmation, notification, page) as outbox rows (a backlog batch shares
 * the transaction, one savepoint per message: `ingestStoredBatch`). Delivery happens
 * later, from the outbox. Each step's rules live in the step's own module or file; this file only orders them.
 */
export function createIntake({
  db,
  config,
  clock = systemClock,
  logger = createSilentLogger(),
  newMessageId = () => randomUUID(),
  rawStore,
  attachmentStore,
  parser = createInProcessParser({ rawStore, attachmentStore, config }),
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
  /**
   * Parses and reads each message under its budget before the transaction. The composition root passes the
   * worker pool (parse-pool.ts); the default parses in this thread (tests, tools).
   */
  parser?: MessageParser;
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
  const paging = createPaging({ db, config, clock, templates });
  const newTicket = createNewTicket({ config, tickets, inboundLog, rates, conversations, paging, autoMail, templates });
  const floodPage = {
    /** Once per sender per hour (stored, so it holds across restarts and `ticketd ingest` runs). */
    async raise({ sender, inboundId, at }: { sender: string; inboundId: number; at: Date }): Promise<void> {
      if (await rates.take({ bucket: 'flood-page', key: sender, limit: { limit: 1, windowMs: HOUR_MS }, now: at })) await paging.enqueueFloodPage({ sender, inboundId, at });
    },
  };
  const ticketMail = createTicketMail({ tickets, inboundLog, customers, conversations });
  // A message whose commit fails at every try is quarantined on its fourth, so it never blocks its mailbox.
  const poison = createPoisonGuard();
  const poisonRecorder = createPoisonRecorder({ db, inboundLog, guard: poison, logger });
  // A reprocess or release is an operator's try: it fails to them, it is never quarantined for failing.
  const poisonKeyOf = ({ facts }: Prepared) => ({ ...facts.origin, blob: facts.blob, operator: facts.replaceInboundId !== undefined });
  const web = createWebIntake({ db, config, clock, logger, rawStore, attachmentStore, senders, rates, inboundLog, tickets, newTicket, ticketMail, newMessageId });

  /** Stores the raw source (streamed to disk, never whole in memory), then ingests it. */
  async function ingestRaw({ raw, ...origin }: { raw: Buffer | Readable } & IngestSource): Promise<IngestResult> {
    const seen = await seenBefore(origin);
    if (seen) return seen;
    return ingestStored({ blob: await rawStore.put(raw), ...origin });
  }

  /**
   * The pipeline, for a raw message already in the raw store (the mailbox sync stores it there first). `raw`:
   * the same bytes, when the caller still holds them (a batch fetch), so they are parsed without a read back.
   */
  async function ingestStored(arrival: StoredArrival): Promise<IngestResult> {
    const ready = await prepare(arrival);
    if (ready.kind === 'done') return ready.result;
    const { results, error } = await commit([ready]);
    if (error !== undefined) throw error;
    return results[0] as IngestResult;
  }

  /**
   * Several stored messages of one folder, in UID order (a backlog): all are parsed and authenticated at once
   * (the parse pool works while this thread commits), then committed in order, several per transaction (at most
   * BATCH_COMMIT_MAX_MS of writing each: ordered-batch.ts), every one with its own outcome and cursor step, so each is still
   * recorded exactly once. A failure stops the batch at that message: what came before it stays committed
   * (`results`), the error is returned for the caller to raise after marking those on the server.
   */
  async function ingestStoredBatch(arrivals: StoredArrival[]): Promise<{ results: IngestResult[]; error?: unknown }> {
    return commitInOrder({ items: arrivals, prepare, commit: (group) => commit(group, BATCH_COMMIT_MAX_MS), maxGroup: BATCH_COMMIT_MAX_MESSAGES });
  }

  /** Everything before the transaction: the already-seen check, size and shape, parse and read, authenticate. */
  async function prepare({ blob, raw, replaceInboundId, replaceOnlyIf, release, trace, fence, ...origin }: StoredArrival): Promise<{ kind: 'done'; result: IngestResult } | Prepared> {
    const seen = await seenBefore(origin, blob, replaceInboundId !== undefined);
    if (seen) return { kind: 'done', result: seen };
    const facts: Facts = {
      blob,
      receivedAt: clock.now(),
      origin,
      authenticity: { authentic: false, reason: 'not parsed' },
      trace: { ...trace },
      ...(replaceInboundId ? { replaceInboundId } : {}),
      ...(replaceOnlyIf ? { replaceOnlyIf } : {}),
      ...(release ? { release } : {}),
      ...(fence ? { fence } : {}),
    };
    const prepared = (message: InboundMessage | undefined, decideNow: Prepared['decideNow'], reading?: MessageReading): Prepared => ({ kind: 'prepared', facts, message, decideNow, ...(reading ? { reading } : {}) });
    if (blob.size > config.limits.maxMessageBytes) {
      // Kept in the raw store, never parsed: one huge mail must not exhaust memory (freescout#4293).
      return prepared(undefined, () => ({ outcome: 'quarantined', reason: `too-large: ${blob.size} bytes > limits.maxMessageBytes ${config.limits.maxMessageBytes}` }));
    }
    // Not a mail at all (a package.json, a photo): recorded, never parsed or answered (mail-shape.models.ts).
    const shape = readMailShape(raw ? raw.subarray(0, MAIL_HEAD_BYTES) : await rawStore.head(blob.sha256, MAIL_HEAD_BYTES));
    if (!shape.mail) return prepared(undefined, () => ({ outcome: 'quarantined', reason: `not-a-mail: ${shape.reason}` }));
    // 1. parse and read (worker thread, under the message's budget): no CPU work is left for the transaction
    let read;
    try {
      read = await parser.parse({ sha256: blob.sha256, ...(raw ? { raw } : {}) }, { budgetMs: messageBudgetMs(config.limits, blob.size) });
    } catch (error) {
      const code = isTicketdError(error) ? error.code : 'intake.parse_failed';
      if (code === 'store.write_failed' || code === 'intake.parse_pool_closed' || code === 'intake.parse_worker_missing') throw error;
      return prepared(undefined, () => ({ outcome: 'quarantined', reason: `unparseable: ${describeError(error)}`.slice(0, 500) }));
    }
    facts.trace.parsedAt = performance.now();
    if (read.kind === 'over-budget') {
      // Recorded with the cursor in one commit: after a restart it is not parsed again (no second stall).
      const { budgetMs } = read;
      return prepared(undefined, () => ({ outcome: 'quarantined', reason: `over-budget: parsing and reading took more than ${budgetMs} ms (limits.messageBudgetMs)` }));
    }
    const { message, reading } = read;
    if (reading.malformedHeaders) return prepared(message, () => ({ outcome: 'quarantined', reason: reading.malformedHeaders as string }));
    // 2. authenticate (may need DNS: before the transaction); the identity is one mailbox, aligned with the pass
    facts.authenticity = await authenticate(blob, message, raw);
    facts.trace.authenticatedAt = performance.now();
    const identity = identityOf({ mailbox: reading.mailbox, verdict: facts.authenticity, from: message.from });
    if (identity.status === 'refused') return prepared(message, () => ({ outcome: 'quarantined', reason: `sender-not-authenticated: ${identity.reason}` }));
    // 3-8. classify, check the sender, thread, decide; then store, confirm/notify, page: one commit
    return prepared(message, () => decide(message, reading, facts), reading);
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

  /** Facts from the database, then the pure decision. Runs inside the write transaction: lookups only. */
  async function decide(message: InboundMessage, reading: MessageReading, facts: Facts): Promise<IntakeDecision> {
    const senderRole = await senders.roleOf(message, { release: facts.release }); // 4. check the sender
    const from = message.from?.address ?? '';
    const handledCopy = await inboundLog.findHandledCopy({ messageId: message.messageId, rawSha256: facts.blob.sha256, ...(facts.replaceInboundId ? { excludeId: facts.replaceInboundId } : {}) });
    return decideIntake({
      kind: reading.kind, // 3. classify (read before the transaction)
      senderRole,
      isDuplicate: handledCopy !== undefined,
      duplicateOfTicketId: handledCopy?.ticketId ?? undefined,
      thread: await threadOf(message, reading, senderRole), // 5. thread
      noAutoReplyReason: reading.noAutoReplyReason,
      authenticity: facts.authenticity,
      registration: await senders.registrationOf(from),
      floodGuardAllows: await rates.peek({ bucket: 'new-ticket', key: from, limit: newTicketLimit, now: facts.receivedAt }),
      severity: reading.severity,
    });
  }

  /** What the decision means: a ticket (store, confirm, notify, page), mail on a ticket, or a notice to the sender. `source`: the arrival's, whose mailbox a new ticket belongs to. */
  async function apply(decision: IntakeDecision, message: InboundMessage, reading: MessageReading | undefined, inboundId: number, at: Date, source: string): Promise<string | undefined> {
    if (decision.outcome === 'ticket' && reading) return newTicket.open({ decision, message, reading, source, inboundId, at });
    if (decision.outcome === 'quarantined' || decision.outcome === 'held') {
      if (decision.outcome === 'quarantined' && decision.floodPage) await floodPage.raise({ sender: message.from?.address ?? '', inboundId, at });
      if (reading) await autoMail.notifySender(decision, message, reading, inboundId, at);
      return undefined;
    }
    if (decision.outcome === 'ticket' || !reading) return undefined;
    return ticketMail.place({ decision, message, reading, senderRole: await senders.roleOf(message), inboundId, at });
  }

  /**
   * The write transaction: for each message in order, the recorded outcome, what it means, and the folder's
   * cursor, together (each in its own savepoint). Stops after `maxMs` of writing, or at the first message that
   * fails: the ones before it are committed and returned, with the error.
   * `db.transaction` is BEGIN IMMEDIATE: it takes the write lock up front, so a concurrent `ticketd ingest`
   * waits instead of failing. The clock starts once the transaction has begun (not while it waits its turn).
   */
  async function commit(group: Prepared[], maxMs = Number.POSITIVE_INFINITY): Promise<{ results: IngestResult[]; error?: unknown }> {
    const results: IngestResult[] = [];
    let error: unknown;
    try {
      await db.transaction(async () => {
        // A lost mailbox lease (another instance syncs the folder now): nothing of this group is recorded.
        for (const fence of new Set(group.flatMap((item) => (item.facts.fence ? [item.facts.fence] : [])))) await fence();
        const started = performance.now();
        for (const item of group) {
          try {
            // Nested: a savepoint, awaited before the next, so a message that fails leaves the ones before it in this commit.
            results.push(await db.transaction(() => record(item)));
          } catch (failure) {
            const instead = poison.isPoison(poisonKeyOf(item)) ? await poisonRecorder.quarantineInstead({ ...poisonKeyOf(item), receivedAt: item.facts.receivedAt }, failure) : undefined;
            if (!instead) {
              error = failure;
              return;
            }
            results.push({ ...instead, outcome: 'quarantined', ticketRef: undefined, alreadyIngested: false });
          }
          if (performance.now() - started >= maxMs) return;
        }
      });
    } catch (failure) {
      // BEGIN, a fence or COMMIT failed: nothing of this group is recorded.
      return { results: [], error: failure };
    }
    // Committed: the database works, so a message that failed inside counts a strike against it.
    poison.afterCommit({ settled: group.slice(0, results.length).map(poisonKeyOf), failed: error === undefined ? undefined : poisonKeyOf(group[results.length] as Prepared) });
    const committedAt = performance.now();
    for (const [index, result] of results.entries()) {
      const { facts, message } = group[index] as Prepared;
      // `stages`: where this message's time went, from the server's news to this commit (ms; stage-trace.ts).
      const stages = stagesOf(facts.trace, committedAt);
      logger.info({ inboundId: result.inboundId, uid: facts.origin.uid, messageId: message?.messageId, ref: result.ticketRef, outcome: result.outcome, reason: result.reason, ...(stages.total === undefined ? {} : { stages }) }, 'message ingested');
    }
    return error === undefined ? { results } : { results, error };
  }

  /** One message's outcome, inside the transaction. */
  async function record({ facts, message, decideNow, reading }: Prepared): Promise<IngestResult> {
    const { origin, receivedAt } = facts;
    const seen = await seenBefore(origin, facts.blob, facts.replaceInboundId !== undefined);
    if (seen) return seen;
    if (facts.replaceInboundId !== undefined && facts.replaceOnlyIf !== undefined) {
      // Another release (a second click, `users add` while the daemon verifies) may have handled it already.
      const row = await inboundLog.findById(facts.replaceInboundId);
      if (row?.outcome !== facts.replaceOnlyIf) return alreadyIngested(row ?? { id: facts.replaceInboundId, outcome: facts.replaceOnlyIf, reason: 'gone', ticketId: null });
    }
    const decision = await decideNow();
    if (facts.replaceOnlyIf === 'held' && decision.outcome === 'held') {
      // Still not allowed (e.g. disabled meanwhile): it stays held, and gets no second reply.
      return { inboundId: facts.replaceInboundId ?? 0, outcome: decision.outcome, reason: decision.reason, ticketRef: undefined, alreadyIngested: false };
    }
    const reason = facts.replaceOnlyIf === 'held' ? `released after verification: ${decision.reason}` : decision.reason;
    const described = { messageId: message?.messageId ?? null, fromAddress: message?.from?.address ?? '', subject: message?.subject ?? '', outcome: decision.outcome, reason };
    const inbound = facts.replaceInboundId
      ? await inboundLog.replaceOutcome({ id: facts.replaceInboundId, ...described })
      : await inboundLog.insertInbound({ source: origin.source, uidValidity: origin.uidValidity ?? null, uid: origin.uid ?? null, rawSha256: facts.blob.sha256, size: facts.blob.size, ...described, ticketId: null, receivedAt });
    const ticketRef = message ? await apply(decision, message, reading, inbound.id, receivedAt, origin.source) : undefined;
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      await inboundLog.saveCursor({ mailbox: origin.source, uidValidity: origin.uidValidity, lastUid: origin.uid, at: receivedAt });
    }
    return { inboundId: inbound.id, outcome: decision.outcome, reason: decision.reason, ticketRef, alreadyIngested: false };
  }

  /**
   * A person's mail must pass threading's sender check (customers: participant or organisation; engineers:
   * any ticket). Automatic mail (bounces, out-of-office, receipts) lands on a ticket only when it provably
   * answers mail WE sent on it: a Message-ID of our outbound mail among its parent or quoted ids, or our
   * signed token in one; never a subject ref, never a customer's id. Otherwise it is recorded and goes nowhere.
   */
  async function threadOf(message: InboundMessage, reading: MessageReading, senderRole: SenderRole): Promise<ThreadMatch> {
    if (reading.kind.kind === 'ordinary') {
      // A person's mail is checked against who may write on the ticket (an unknown sender may be a participant
      // or an outsider answering its mail, who joins internally); engineers' mail is matched without the check.
      const person = senderRole === 'customer' || senderRole === 'unknown';
      return threads.match(message, person ? 'customer' : 'engineer');
    }
    const own = await threads.matchOwnMail(reading.answeredIds);
    return own ? { kind: 'ticket', ticketId: own.ticketId, via: own.via } : { kind: 'new' };
  }

  /**
   * This exact IMAP message (folder, UIDVALIDITY, UID) was ingested before, or (from a file or stdin) these exact
   * bytes were (same-bytes.models.ts): the recorded outcome, nothing done.
   */
  async function seenBefore(origin: IngestSource, blob?: BlobRef, replacing = false): Promise<IngestResult | undefined> {
    if (origin.uidValidity !== undefined && origin.uid !== undefined) {
      const seen = await inboundLog.findByUid({ source: origin.source, uidValidity: origin.uidValidity, uid: origin.uid });
      return seen ? alreadyIngested(seen) : undefined;
    }
    const earlier = blob ? await inboundLog.findFirstByRawSha256(blob.sha256) : undefined;
    const repeat = sameBytesAsEarlier({ imapArrival: false, replacing, earlier });
    return repeat && earlier ? { ...(await alreadyIngested(earlier)), ...repeat } : undefined;
  }

  async function alreadyIngested(row: { id: number; outcome: IntakeDecision['outcome']; reason: string; ticketId: number | null }): Promise<IngestResult> {
    const ref = row.ticketId === null ? undefined : (await tickets.findById(row.ticketId))?.ref;
    return { inboundId: row.id, outcome: row.outcome, reason: row.reason, ticketRef: ref, alreadyIngested: true };
  }

  /**
   * Re-runs the held messages of a sender (just verified) through the same decision and effects, in arrival
   * order. Each keeps its inbound row; a message that is still not allowed stays held without a new reply.
   */
  async function releaseHeld({ email }: { email: string }): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    for (const row of await inboundLog.listHeld(email)) {
      if (!(await rawStore.ensure(row.rawSha256))) continue;
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
    const row = await inboundLog.findById(inboundId);
    if (!row) throw createError({ code: 'intake.not_found', message: `no inbound message ${inboundId}` });
    if (row.outcome === 'ticket' || row.outcome === 'reply' || row.outcome === 'duplicate') {
      throw createError({ code: 'intake.already_handled', message: `message ${inboundId} already has the outcome ${row.outcome}; only unhandled mail is reprocessed` });
    }
    if (!(await rawStore.ensure(row.rawSha256))) throw createError({ code: 'intake.raw_missing', message: `the raw source of message ${inboundId} is not in the raw store` });
    return ingestStored({ blob: { sha256: row.rawSha256, size: row.size }, source: row.source, replaceInboundId: row.id, release });
  }

  return { ingestRaw, ingestStored, ingestStoredBatch, reprocess, releaseHeld, submitWeb: web.submit };
}

export type Intake = ReturnType<typeof createIntake>;
