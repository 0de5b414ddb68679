import { priorityOf, severityMeaning, type Severity } from '../desk/severity.models.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import type { OutboundMail } from './mail-out.types.js';

const LEVELS: Severity[] = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];

/** `Re: [CS-1] Printer on fire`, without stacking `Re:` or the ref twice. */
export function replySubject({ ref, subject }: { ref: string; subject: string }): string {
  const bare = subject.replace(/^\s*((re|aw|sv|fw|fwd|wg)\s*:\s*)+/i, '').trim() || '(no subject)';
  return bare.toUpperCase().includes(`[${ref}]`) ? `Re: ${bare}` : `Re: [${ref}] ${bare}`;
}

/**
 * The customer's confirmation: threaded under their mail, marked as an automatic reply (RFC 3834) so other
 * robots do not answer it, and saying what we understood and how to change it.
 */
export function renderConfirmation({
  ref,
  subject,
  severity,
  severityStated,
  customer,
  customerMessageId,
  customerReferences,
  support,
  messageId,
  responseTarget,
  ticketUrl = '',
  templates,
}: {
  ref: string;
  subject: string;
  severity: Severity;
  severityStated: boolean;
  customer: { address: string; name: string };
  customerMessageId: string | undefined;
  customerReferences: string[];
  support: { address: string; name: string };
  messageId: string;
  /** The first-response target of the customer's SLA for this severity, e.g. "30 minutes". */
  responseTarget?: string;
  /** The ticket on the portal (`PUBLIC_URL/tickets/REF`); empty when the portal is off. */
  ticketUrl?: string;
  templates: MailTemplates;
}): OutboundMail {
  const { text, html } = templates.render('confirmation', {
    supportName: support.name,
    supportAddress: support.address,
    customerName: customer.name,
    ref,
    subject: subject || '(no subject)',
    severity,
    severityMeaning: severityMeaning(severity),
    priority: priorityOf(severity),
    severityStated,
    levels: LEVELS.map((level) => ({ level, meaning: severityMeaning(level), priority: priorityOf(level) })),
    responseTarget: responseTarget ?? '',
    ticketUrl,
  });
  const references = customerMessageId ? [...customerReferences.filter((id) => id !== customerMessageId), customerMessageId] : [];
  return {
    from: `${support.name} <${support.address}>`,
    to: [customer.address],
    subject: replySubject({ ref, subject }),
    text,
    html,
    messageId,
    ...(customerMessageId ? { inReplyTo: customerMessageId, references } : {}),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address, 'X-Ticketd-Ticket': ref },
  };
}
