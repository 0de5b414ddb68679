import { newTextOf } from '../conversations/reply-text.models.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { readSeverity, type Severity } from '../desk/severity.models.js';
import { failedRecipients, quotedMessageIds } from './bounce.models.js';
import { classifyMessage, mustNotAutoReply, type Classification } from './classify.models.js';
import { headerIntegrityProblem } from './header-integrity.models.js';
import { checkFromMailbox, type MailboxCheck } from './identity.models.js';

/**
 * Everything intake needs to know about a mail that costs CPU in proportion to what the sender wrote: the
 * header checks, the kind of mail, whether we may answer it, the new text, the severity, the ids it quotes.
 * Computed once, right after parsing and inside the same per-message budget (in the parse worker), never
 * inside the write transaction: there only database lookups and writes remain.
 */
export type MessageReading = {
  /** `malformed-headers: 2 Subject`, when a single-instance header repeats (header-integrity.models). */
  malformedHeaders: string | undefined;
  /** Is the From exactly one mailbox (identity.models)? */
  mailbox: MailboxCheck;
  kind: Classification;
  /** Why no automatic reply may go to this mail (RFC 3834 and friends), or undefined. */
  noAutoReplyReason: string | undefined;
  /** The severity the sender asked for in the subject or the first lines of the new text. */
  severity: Severity | undefined;
  /**
   * Message-IDs this mail answers or returns: In-Reply-To, References, and for automatic mail the ids
   * quoted in the returned original (a bounce's message/rfc822 part or text/rfc822-headers).
   */
  answeredIds: string[];
  /** The recipients a delivery report names as failed (Final-/Original-Recipient, X-Failed-Recipients). */
  failedRecipients: string[];
};

/** `ownAddresses`: every address of the desk (`ownAddresses` of mailboxes.models): mail from or looping through any is ours. */
export function readMessage(message: InboundMessage, { ownAddresses }: { ownAddresses: string[] }): { message: InboundMessage; reading: MessageReading } {
  const newText = newTextOf(message.text);
  const withText: InboundMessage = { ...message, newText };
  const kind = classifyMessage(withText);
  const automatic = kind.kind !== 'ordinary';
  return {
    message: withText,
    reading: {
      malformedHeaders: headerIntegrityProblem(message.headers),
      mailbox: checkFromMailbox({ fromHeaders: message.headers.get('from') ?? [], parsedFrom: message.from }),
      kind,
      noAutoReplyReason: mustNotAutoReply(withText, { ownAddresses, loopToken: ownAddresses }),
      severity: readSeverity({ subject: message.subject, text: newText }),
      answeredIds: [...new Set([...message.inReplyTo, ...message.references, ...(automatic ? quotedMessageIds(message) : [])])],
      failedRecipients: automatic ? failedRecipients(message) : [],
    },
  };
}
