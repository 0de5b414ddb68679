import type { SenderRole } from './sender.models.js';
import { domainOf } from './sender.models.js';

export type MailKindVerdict = { kind: 'ordinary' | 'bounce' | 'auto-reply' | 'feedback' | 'delivery-notice'; reason: string };

export type IntakeDecision =
  | { outcome: 'quarantined'; reason: string }
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
}): IntakeDecision {
  if (kind.kind === 'auto-reply') return { outcome: 'auto-reply', reason: kind.reason, ticketId: threadTicket?.id };
  if (kind.kind !== 'ordinary') return { outcome: 'bounce', reason: `${kind.kind}: ${kind.reason}`, ticketId: threadTicket?.id };
  if (senderRole === 'own') return { outcome: 'quarantined', reason: 'mail-loop' };
  if (senderRole === 'unknown') return { outcome: 'quarantined', reason: 'sender-not-approved' };
  if (isDuplicate) return { outcome: 'duplicate', reason: 'already-ingested', ticketId: duplicateOfTicketId };
  if (threadTicket) return { outcome: 'reply', reason: 'in-reply-to', ticketId: threadTicket.id };
  // A ref in the subject is only trusted from the requester's organisation or an engineer: customer B
  // quoting customer A's ref must not land on A's ticket (zammad#5064).
  if (refTicket && (senderRole === 'engineer' || domainOf(refTicket.requesterEmail) === domainOf(senderAddress))) {
    return { outcome: 'reply', reason: 'subject-ref', ticketId: refTicket.id };
  }
  if (senderRole === 'engineer') return { outcome: 'quarantined', reason: 'engineer-mail-without-ticket' };
  return { outcome: 'ticket', reason: refTicket ? 'foreign-ref-ignored' : 'new', confirm: noAutoReplyReason === undefined };
}
