import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { Config } from '../../config/config.schema.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/logger.js';
import { domainOf } from '../desk/address.models.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { ownAddresses } from '../desk/mailboxes.models.js';
import type { Severity } from '../desk/severity.models.js';
import type { InboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import type { RateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import type { BlobStore } from '../store/blob-store.js';
import type { ThreadMatch } from '../threading/threading.models.js';
import type { TicketsRepository } from '../tickets/tickets.repository.js';
import { decideIntake, type IntakeDecision } from './intake.models.js';
import { readMessage } from './message-reading.models.js';
import type { NewTicket } from './new-ticket.usecases.js';
import type { SenderCheck } from './sender-check.usecases.js';
import type { TicketMail } from './ticket-mail.usecases.js';

const HOUR_MS = 3_600_000;

/** A file uploaded on the portal, already in the attachment store. */
export type WebFile = { filename: string; contentType: string; size: number; sha256: string };

/**
 * What someone signed in to the portal wrote. `author` comes from the session, never from the form: the
 * portal authenticated it. `kind`: a new ticket (with the severity chosen on the form), a reply on a ticket,
 * or an engineer's internal note. `submissionId` (random, rendered into the form) makes a double-click one
 * submission: the second is recorded as a duplicate.
 */
export type WebSubmission = {
  author: { email: string; name: string };
  kind: 'new-ticket' | 'reply' | 'note';
  ticketId?: number;
  subject: string;
  severity?: Severity;
  text: string;
  files: WebFile[];
  submissionId: string;
};

export type WebOutcome = { inboundId: number; outcome: IntakeDecision['outcome']; reason: string; ticketRef: string | undefined };

/**
 * The portal's way into the pipeline: a web ticket or reply takes THE SAME decisions as mail (decideIntake:
 * the sender's role and registration, the flood guard, duplicates; then new-ticket: store, confirm, notify,
 * page; or ticket-mail: reopen, escalation by a SEV keyword, an engineer's relay and #commands), and is
 * recorded as an arrival with its one outcome (source `web`), its content kept in the raw store as the RFC 5322
 * message it amounts to. What differs from mail is only what the portal knows for sure: the author is
 * authenticated by the session, and the ticket of a reply is the page it was written on.
 */
export function createWebIntake({
  db,
  config,
  clock,
  logger,
  rawStore,
  attachmentStore,
  senders,
  rates,
  inboundLog,
  tickets,
  newTicket,
  ticketMail,
  newMessageId = () => randomUUID(),
}: {
  db: Db;
  config: Pick<Config, 'support' | 'imap' | 'limits'>;
  clock: Clock;
  logger: Logger;
  rawStore: BlobStore;
  attachmentStore: BlobStore;
  senders: SenderCheck;
  rates: RateLimitRepository;
  inboundLog: InboundLogRepository;
  tickets: TicketsRepository;
  newTicket: NewTicket;
  ticketMail: TicketMail;
  newMessageId?: () => string;
}) {
  const supportDomain = domainOf(config.support.address) || 'localhost';
  const own = ownAddresses(config);

  /** The submission as the mail it amounts to, for the raw store (audits, `tickets show`, reprocessing). */
  function compose(submission: WebSubmission, messageId: string, at: Date, severity: Severity | undefined): Readable {
    const composer = new MailComposer({
      from: { name: submission.author.name, address: submission.author.email },
      to: config.support.address,
      subject: submission.subject,
      messageId: `<${messageId}>`,
      date: at,
      text: submission.text,
      headers: { 'X-Ticketd-Origin': `portal ${submission.kind}`, ...(severity ? { 'X-Ticketd-Severity': severity } : {}) },
      attachments: submission.files.map((file) => ({ filename: file.filename, contentType: file.contentType, path: attachmentStore.pathOf(file.sha256) })),
    });
    return composer.compile().createReadStream();
  }

  function messageOf(submission: WebSubmission, messageId: string, at: Date): InboundMessage {
    const text = submission.kind === 'note' ? `#note\n${submission.text}` : submission.text;
    return {
      from: { address: submission.author.email.toLowerCase(), name: submission.author.name },
      returnPath: undefined,
      to: [{ address: config.support.address, name: '' }],
      cc: [],
      replyTo: [],
      subject: submission.subject,
      messageId,
      inReplyTo: [],
      references: [],
      date: at,
      text,
      html: undefined,
      attachments: submission.files.map((file) => ({ ...file, content: undefined })),
      headers: new Map(),
      contentType: 'text/plain',
    };
  }

  async function submit(submission: WebSubmission): Promise<WebOutcome> {
    const at = clock.now();
    const messageId = `web.${/^[A-Za-z0-9_-]{16,64}$/.test(submission.submissionId) ? submission.submissionId : newMessageId()}@${supportDomain}`;
    const severity = submission.kind === 'new-ticket' ? submission.severity : undefined;
    const blob = await rawStore.put(compose(submission, messageId, at, severity));
    // The same reading as mail (new text, severity, ...), before the transaction like the pipeline's.
    const { message, reading } = readMessage(messageOf(submission, messageId, at), { ownAddresses: own });
    const from = message.from?.address ?? '';
    const result = await db.transaction(async (): Promise<WebOutcome> => {
      const senderRole = await senders.roleOf(message);
      const handled = await inboundLog.findHandledCopy({ messageId, rawSha256: blob.sha256 });
      const target = submission.ticketId === undefined ? undefined : await tickets.findById(submission.ticketId);
      // A reply lands on its page's ticket; a customer's reply to a closed ticket opens a new one linked to it, as by mail.
      const thread: ThreadMatch = !target ? { kind: 'new' } : target.status === 'closed' && senderRole === 'customer' ? { kind: 'new', linkedTicketId: target.id } : { kind: 'ticket', ticketId: target.id, via: 'portal' };
      const decision = decideIntake({
        kind: { kind: 'ordinary', reason: 'written on the portal' },
        senderRole,
        isDuplicate: handled !== undefined,
        duplicateOfTicketId: handled?.ticketId ?? undefined,
        thread,
        noAutoReplyReason: undefined,
        authenticity: { authentic: true, reason: 'signed in to the portal' },
        registration: await senders.registrationOf(from),
        floodGuardAllows: await rates.peek({ bucket: 'new-ticket', key: from, limit: { limit: config.limits.newTicketsPerHour, windowMs: HOUR_MS }, now: at }),
      });
      const inbound = await inboundLog.insertInbound({ source: 'web', uidValidity: null, uid: null, rawSha256: blob.sha256, size: blob.size, messageId, fromAddress: from, subject: message.subject, outcome: decision.outcome, reason: decision.reason, ticketId: null, receivedAt: at });
      let ticketRef: string | undefined;
      if (decision.outcome === 'ticket') ticketRef = await newTicket.open({ decision, message, reading, source: 'web', inboundId: inbound.id, at, ...(severity ? { severity } : {}) });
      else if (decision.outcome === 'reply' || decision.outcome === 'duplicate') ticketRef = await ticketMail.place({ decision, message, reading, senderRole, inboundId: inbound.id, at });
      // Quarantined or held: the page tells the author why; no mail is sent about it.
      return { inboundId: inbound.id, outcome: decision.outcome, reason: decision.reason, ticketRef };
    });
    logger.info({ inboundId: result.inboundId, messageId, ref: result.ticketRef, outcome: result.outcome, reason: result.reason, kind: submission.kind }, 'portal submission ingested');
    return result;
  }

  return { submit };
}

export type WebIntake = ReturnType<typeof createWebIntake>;
