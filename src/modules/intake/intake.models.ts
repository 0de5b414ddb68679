import type { SenderRole } from './sender.models.js';
import { domainOf } from './sender.models.js';

export type MailKindVerdict = { kind: 'ordinary' | 'bounce' | 'auto-reply' | 'feedback' | 'delivery-notice'; reason: string };

/** Where the sender stands with registration; `not-required` when support.requireRegistration is false. */
export type Registration = 'verified' | 'pending' | 'unregistered' | 'disabled' | 'not-required';

export type IntakeDecision =
  | { outcome: 'quarantined'; reason: string; notify?: 'not-approved' }
  /** Kept until the sender's address is verified, then re-run through the intake (issue 5). */
  | { outcome: 'held'; reason: string; notify: 'registration-link' }
  | { outcome: 'bounce' | 'auto-reply'; reason: string; ticketId: number | undefined }
  | { outcome: 'duplicate'; reason: string; ticketId: number | undefined }
  | { outcome: 'reply'; reason: string; ticketId: number }
  | { outcome: 'ticket'; reason: string; confirm: boolean };

/**
 * The one routing decision for an inbound message, from facts gathered beforehand. Order matters: machine
 * mail first (a bounce must never open a ticket or be answered), then loops, then the sender, then threading.
 */
export function decideIntake({
  kind,
  senderRole,
  senderAddress,
  duplicateOfTicketId,
  isDuplicate,
  threadTicket,
  refTicket,
  noAutoReplyReason,
  authenticity = { authentic: true, reason: 'not checked' },
  registration = 'not-required',
  floodGuardAllows = true,
}: {
  kind: MailKindVerdict;
  senderRole: SenderRole;
  senderAddress: string;
  isDuplicate: boolean;
  duplicateOfTicketId: number | undefined;
  /** A ticket holding one of the message's In-Reply-To/References ids. */
  threadTicket: { id: number } | undefined;
  /** A ticket whose ref appears in the subject, with its requester. */
  refTicket: { id: number; requesterEmail: string } | undefined;
  noAutoReplyReason: string | undefined;
  /** Is the From domain proven (security.senderAuth)? */
  authenticity?: { authentic: boolean; reason: string };
  registration?: Registration;
  /** False when this sender opened too many tickets in the last hour. */
  floodGuardAllows?: boolean;
}): IntakeDecision {
  if (kind.kind === 'auto-reply') return { outcome: 'auto-reply', reason: kind.reason, ticketId: threadTicket?.id };
  if (kind.kind !== 'ordinary') return { outcome: 'bounce', reason: `${kind.kind}: ${kind.reason}`, ticketId: threadTicket?.id };
  if (senderRole === 'own') return { outcome: 'quarantined', reason: 'mail-loop' };
  // A forged From of an approved domain (or of our engineers) gets nothing: no ticket, no page, no reply.
  if ((senderRole === 'customer' || senderRole === 'engineer') && !authenticity.authentic) {
    return { outcome: 'quarantined', reason: `sender-not-authenticated: ${authenticity.reason}` };
  }
  if (senderRole === 'unknown') return { outcome: 'quarantined', reason: 'sender-not-approved', notify: 'not-approved' };
  if (isDuplicate) return { outcome: 'duplicate', reason: 'already-ingested', ticketId: duplicateOfTicketId };
  if (threadTicket) return { outcome: 'reply', reason: 'in-reply-to', ticketId: threadTicket.id };
  // A ref in the subject is only trusted from the requester's organisation or an engineer: customer B
  // quoting customer A's ref must not land on A's ticket (zammad#5064).
  if (refTicket && (senderRole === 'engineer' || domainOf(refTicket.requesterEmail) === domainOf(senderAddress))) {
    return { outcome: 'reply', reason: 'subject-ref', ticketId: refTicket.id };
  }
  if (senderRole === 'engineer') return { outcome: 'quarantined', reason: 'engineer-mail-without-ticket' };
  if (registration === 'disabled') return { outcome: 'quarantined', reason: 'sender-disabled' };
  if (registration === 'unregistered') return { outcome: 'held', reason: 'sender-not-registered', notify: 'registration-link' };
  if (registration === 'pending') return { outcome: 'held', reason: 'sender-not-verified', notify: 'registration-link' };
  if (!floodGuardAllows) return { outcome: 'quarantined', reason: 'flood-guard: too many new tickets from this sender in the last hour' };
  return { outcome: 'ticket', reason: refTicket ? 'foreign-ref-ignored' : 'new', confirm: noAutoReplyReason === undefined };
}
