import { priorityOf, severityMeaning, type Severity } from '../intake/severity.models.js';
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
}): OutboundMail {
  const greeting = customer.name ? `Hello ${customer.name},` : 'Hello,';
  const understood = severityStated
    ? `You asked for ${severity} (${severityMeaning(severity)}): the ticket has priority ${priorityOf(severity)}.`
    : `You did not state a severity, so the ticket is ${severity} (${severityMeaning(severity)}), priority ${priorityOf(severity)}.`;
  const levels = LEVELS.map((level) => `  ${level}  ${severityMeaning(level)} (priority ${priorityOf(level)})`);
  const text = [
    greeting,
    '',
    `we have received your request and opened ticket ${ref}: "${subject || '(no subject)'}".`,
    understood,
    '',
    `To add information, reply to this email and keep [${ref}] in the subject.`,
    'To change the severity, reply with the new level (for example "SEV2") on the first line:',
    ...levels,
    '',
    responseTarget ? `Under your service agreement, an engineer will respond within ${responseTarget}.` : 'An engineer will get back to you.',
    '',
    `-- ${support.name} <${support.address}>`,
    '',
  ].join('\n');
  const references = customerMessageId ? [...customerReferences.filter((id) => id !== customerMessageId), customerMessageId] : [];
  return {
    from: `${support.name} <${support.address}>`,
    to: [customer.address],
    subject: replySubject({ ref, subject }),
    text,
    messageId,
    ...(customerMessageId ? { inReplyTo: customerMessageId, references } : {}),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address, 'X-Ticketd-Ticket': ref },
  };
}
