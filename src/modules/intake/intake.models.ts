import type { Severity } from '../desk/severity.models.js';
import type { ThreadMatch } from '../threading/threading.models.js';
import type { SenderRole } from './sender.models.js';

export type MailKindVerdict = { kind: 'ordinary' | 'bounce' | 'auto-reply' | 'feedback' | 'delivery-notice'; reason: string };

/** Where the sender stands with registration; `not-required` when support.requireRegistration is false. */
export type Registration = 'verified' | 'pending' | 'unregistered' | 'disabled' | 'not-required';

export type IntakeDecision =
  /** `floodPage`: held back by the flood guard, but a SEV1 of an authenticated customer: page once, as a flood. */
  | { outcome: 'quarantined'; reason: string; notify?: 'not-approved'; floodPage?: true }
  /** Kept until the sender's address is verified, then re-run through the intake (issue 5). */
  | { outcome: 'held'; reason: string; notify: 'registration-link' }
  | { outcome: 'bounce' | 'auto-reply'; reason: string; ticketId: number | undefined }
  | { outcome: 'duplicate'; reason: string; ticketId: number | undefined }
  /** `internal`: from an outsider answering the ticket's mail; stored for engineers only, with no other effect. */
  | { outcome: 'reply'; reason: string; ticketId: number; internal?: boolean }
  | { outcome: 'ticket'; reason: string; confirm: boolean; linkedTicketId?: number; foreignRef?: string };

/**
 * The one routing decision for an inbound message, from facts gathered beforehand. Order matters: machine
 * mail first (a bounce must never open a ticket or be answered), then loops, then the sender, then threading.
 */
export function decideIntake({
  kind,
  senderRole,
  duplicateOfTicketId,
  isDuplicate,
  thread,
  noAutoReplyReason,
  authenticity = { authentic: true, reason: 'not checked' },
  registration = 'not-required',
  floodGuardAllows = true,
  severity,
}: {
  kind: MailKindVerdict;
  senderRole: SenderRole;
  isDuplicate: boolean;
  duplicateOfTicketId: number | undefined;
  /** Where threading put the mail (ids, signed token, subject ref; trust already checked: threading.models). */
  thread: ThreadMatch;
  noAutoReplyReason: string | undefined;
  /** Is the From domain proven (security.senderAuth)? */
  authenticity?: { authentic: boolean; reason: string };
  registration?: Registration;
  /** False when this sender opened too many tickets in the last hour. */
  floodGuardAllows?: boolean;
  /** The severity the sender asked for (read before the transaction). */
  severity?: Severity | undefined;
}): IntakeDecision {
  const threadTicketId = thread.kind === 'ticket' ? thread.ticketId : undefined;
  if (kind.kind === 'auto-reply') return { outcome: 'auto-reply', reason: kind.reason, ticketId: threadTicketId };
  if (kind.kind !== 'ordinary') return { outcome: 'bounce', reason: `${kind.kind}: ${kind.reason}`, ticketId: threadTicketId };
  if (senderRole === 'own') return { outcome: 'quarantined', reason: 'mail-loop' };
  // Someone outside the approved domains writes only on a ticket whose mail they answer (a participant the
  // requester put in Cc, or an outsider on a list or a Cc chain); anything else from them is refused.
  if (senderRole === 'unknown' && thread.kind !== 'ticket') return { outcome: 'quarantined', reason: 'sender-not-approved', notify: 'not-approved' };
  // A forged From gets nothing: no ticket, no page, no reply, no place on a ticket.
  if (!authenticity.authentic) return { outcome: 'quarantined', reason: `sender-not-authenticated: ${authenticity.reason}` };
  if (isDuplicate) return { outcome: 'duplicate', reason: 'already-ingested', ticketId: duplicateOfTicketId };
  if (thread.kind === 'ticket') {
    const via = thread.via === 'message-id' ? 'in-reply-to' : thread.via;
    if (thread.outsider) return { outcome: 'reply', reason: `outside-organisation: ${via}`, ticketId: thread.ticketId, internal: true };
    return { outcome: 'reply', reason: via, ticketId: thread.ticketId };
  }
  if (senderRole === 'engineer') return { outcome: 'quarantined', reason: 'engineer-mail-without-ticket' };
  if (registration === 'disabled') return { outcome: 'quarantined', reason: 'sender-disabled' };
  if (registration === 'unregistered') return { outcome: 'held', reason: 'sender-not-registered', notify: 'registration-link' };
  if (registration === 'pending') return { outcome: 'held', reason: 'sender-not-verified', notify: 'registration-link' };
  if (!floodGuardAllows) {
    // A guard must not silently eat a real emergency: an authenticated customer's SEV1 still reaches on-call.
    const reason = 'flood-guard: too many new tickets from this sender in the last hour';
    return severity === 'SEV1' ? { outcome: 'quarantined', reason, floodPage: true } : { outcome: 'quarantined', reason };
  }
  const confirm = noAutoReplyReason === undefined;
  // A ref the sender may not use (customer B quoting customer A's ref, zammad#5064) opens B's own ticket.
  if (thread.foreignRef) return { outcome: 'ticket', reason: `foreign-ref-ignored: ${thread.foreignRef}`, confirm, foreignRef: thread.foreignRef };
  if (thread.linkedTicketId !== undefined) return { outcome: 'ticket', reason: 'reply-to-closed-ticket', confirm, linkedTicketId: thread.linkedTicketId };
  return { outcome: 'ticket', reason: 'new', confirm };
}
