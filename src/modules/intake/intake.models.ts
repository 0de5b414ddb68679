import type { ThreadMatch } from '../threading/threading.models.js';
import type { SenderRole } from './sender.models.js';

export type MailKindVerdict = { kind: 'ordinary' | 'bounce' | 'auto-reply' | 'feedback' | 'delivery-notice'; reason: string };

export type IntakeDecision =
  | { outcome: 'quarantined'; reason: string }
  | { outcome: 'bounce' | 'auto-reply'; reason: string; ticketId: number | undefined }
  | { outcome: 'duplicate'; reason: string; ticketId: number | undefined }
  | { outcome: 'reply'; reason: string; ticketId: number }
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
}: {
  kind: MailKindVerdict;
  senderRole: SenderRole;
  isDuplicate: boolean;
  duplicateOfTicketId: number | undefined;
  /** Where threading put the mail (ids, signed token, subject ref; trust already checked: threading.models). */
  thread: ThreadMatch;
  noAutoReplyReason: string | undefined;
}): IntakeDecision {
  const threadTicketId = thread.kind === 'ticket' ? thread.ticketId : undefined;
  if (kind.kind === 'auto-reply') return { outcome: 'auto-reply', reason: kind.reason, ticketId: threadTicketId };
  if (kind.kind !== 'ordinary') return { outcome: 'bounce', reason: `${kind.kind}: ${kind.reason}`, ticketId: threadTicketId };
  if (senderRole === 'own') return { outcome: 'quarantined', reason: 'mail-loop' };
  if (senderRole === 'unknown') return { outcome: 'quarantined', reason: 'sender-not-approved' };
  if (isDuplicate) return { outcome: 'duplicate', reason: 'already-ingested', ticketId: duplicateOfTicketId };
  if (thread.kind === 'ticket') return { outcome: 'reply', reason: thread.via === 'message-id' ? 'in-reply-to' : thread.via, ticketId: thread.ticketId };
  if (senderRole === 'engineer') return { outcome: 'quarantined', reason: 'engineer-mail-without-ticket' };
  const confirm = noAutoReplyReason === undefined;
  // A ref the sender may not use (customer B quoting customer A's ref, zammad#5064) opens B's own ticket.
  if (thread.foreignRef) return { outcome: 'ticket', reason: `foreign-ref-ignored: ${thread.foreignRef}`, confirm, foreignRef: thread.foreignRef };
  if (thread.linkedTicketId !== undefined) return { outcome: 'ticket', reason: 'reply-to-closed-ticket', confirm, linkedTicketId: thread.linkedTicketId };
  return { outcome: 'ticket', reason: 'new', confirm };
}
