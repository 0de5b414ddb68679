import { priorityOf, severityMeaning, type Severity } from '../desk/severity.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { MailTemplates } from '../templates/templates.loader.js';

/**
 * The engineers' notice of a new ticket: what the customer wrote, how urgent, who and which organisation.
 * From `support`, the address of the ticket's mailbox. Its Reply-To is the ticket's signed plus address (of
 * that mailbox), so an engineer's plain "Reply" comes back to ticketd and lands on this ticket (then relayed to
 * the customer). Marked auto-generated so no robot answers it.
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
  ticketUrl = '',
  templates,
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
  /** The ticket on the portal; empty when the portal is off. */
  ticketUrl?: string;
  templates: MailTemplates;
}): OutboundMail {
  const organisation = requester.address.slice(requester.address.lastIndexOf('@') + 1);
  const who = requester.name ? `${requester.name} <${requester.address}>` : requester.address;
  const { text: body, html } = templates.render('engineer-notification', {
    supportName: support.name,
    supportAddress: support.address,
    ref: ticket.ref,
    subject: ticket.subject || '(no subject)',
    severity: ticket.severity,
    severityMeaning: severityMeaning(ticket.severity),
    priority: priorityOf(ticket.severity),
    requester: who,
    requesterName: requester.name,
    requesterAddress: requester.address,
    organisation,
    notes,
    text: text.trim() || '(no text)',
    ticketUrl,
  });
  const references = customerMessageId ? [...customerReferences.filter((id) => id !== customerMessageId), customerMessageId] : [];
  return {
    from: `${support.name} <${support.address}>`,
    to,
    replyTo,
    subject: `[${ticket.ref}] ${ticket.severity} new ticket: ${ticket.subject || '(no subject)'}`,
    text: body,
    html,
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

/**
 * A customer wrote again on a ticket (by mail or on the portal): the engineers on it get the new text,
 * threaded under the customer's message, with the ticket's signed Reply-To so their answer is relayed.
 */
export function renderEngineerFollowUp({
  ticket,
  author,
  text,
  to,
  support,
  replyTo,
  messageId,
  customerMessageId,
  customerReferences,
  threadIndex,
  ticketUrl = '',
  templates,
}: {
  ticket: { ref: string; subject: string; severity: Severity; status: string };
  author: { address: string; name: string };
  text: string;
  to: string[];
  support: { address: string; name: string };
  replyTo: string;
  messageId: string;
  customerMessageId: string | undefined;
  customerReferences: string[];
  threadIndex: string;
  ticketUrl?: string;
  templates: MailTemplates;
}): OutboundMail {
  const { text: body, html } = templates.render('engineer-followup', {
    supportName: support.name,
    supportAddress: support.address,
    ref: ticket.ref,
    subject: ticket.subject || '(no subject)',
    severity: ticket.severity,
    severityMeaning: severityMeaning(ticket.severity),
    priority: priorityOf(ticket.severity),
    status: ticket.status,
    author: author.name ? `${author.name} <${author.address}>` : author.address,
    text: text.trim() || '(no text)',
    ticketUrl,
  });
  const references = customerMessageId ? [...customerReferences.filter((id) => id !== customerMessageId), customerMessageId] : [];
  return {
    from: `${support.name} <${support.address}>`,
    to,
    replyTo,
    subject: `Re: [${ticket.ref}] ${ticket.subject || '(no subject)'}`,
    text: body,
    html,
    messageId,
    ...(customerMessageId ? { inReplyTo: customerMessageId, references } : {}),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address, 'X-Ticketd-Ticket': ticket.ref, 'Thread-Index': threadIndex, 'Thread-Topic': ticket.subject || '(no subject)' },
  };
}
