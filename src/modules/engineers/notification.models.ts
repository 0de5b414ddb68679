import { priorityOf, severityMeaning, type Severity } from '../intake/severity.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';

/**
 * The engineers' notice of a new ticket: what the customer wrote, how urgent, who and which organisation.
 * Its Reply-To is the ticket's signed plus address, so an engineer's plain "Reply" comes back to ticketd and
 * lands on this ticket (then relayed to the customer). Marked auto-generated so no robot answers it.
 */
export function renderEngineerNotification({
  ticket,
  requester,
  text,
  to,
  support,
  replyTo,
  messageId,
  customerMessageId,
  customerReferences,
  threadIndex,
  notes,
}: {
  ticket: { ref: string; subject: string; severity: Severity };
  requester: { address: string; name: string };
  text: string;
  to: string[];
  support: { address: string; name: string };
  replyTo: string;
  messageId: string;
  customerMessageId: string | undefined;
  customerReferences: string[];
  threadIndex: string;
  /** Extra lines for engineers, e.g. "continues closed ticket CS-3". */
  notes: string[];
}): OutboundMail {
  const organisation = requester.address.slice(requester.address.lastIndexOf('@') + 1);
  const who = requester.name ? `${requester.name} <${requester.address}>` : requester.address;
  const body = [
    `New ticket ${ticket.ref}: ${ticket.subject || '(no subject)'}`,
    `Severity:     ${ticket.severity} (${severityMeaning(ticket.severity)}), priority ${priorityOf(ticket.severity)}`,
    `Requester:    ${who}`,
    `Organisation: ${organisation}`,
    ...notes,
    '',
    '----- customer wrote -----',
    text.trim() || '(no text)',
    '--------------------------',
    '',
    'Reply to this email to answer the customer (your reply is relayed from the support address).',
    'Commands, each on a line of its own: #note (internal, not sent), #severity SEV2, #pending, #resolve, #close, #assign me',
    '',
  ].join('\n');
  const references = customerMessageId ? [...customerReferences.filter((id) => id !== customerMessageId), customerMessageId] : [];
  return {
    from: `${support.name} <${support.address}>`,
    to,
    replyTo,
    subject: `[${ticket.ref}] ${ticket.severity} new ticket: ${ticket.subject || '(no subject)'}`,
    text: body,
    messageId,
    ...(customerMessageId ? { inReplyTo: customerMessageId, references } : {}),
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Loop': support.address,
      'X-Ticketd-Ticket': ticket.ref,
      'Thread-Index': threadIndex,
      'Thread-Topic': ticket.subject || '(no subject)',
    },
  };
}
