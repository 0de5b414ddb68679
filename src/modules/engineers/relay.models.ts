import { replySubject } from '../mail-out/confirmation.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { MailTemplates } from '../templates/templates.loader.js';

/**
 * An engineer's public reply as the customer receives it: from `support`, the address of the ticket's mailbox
 * (the customer answers help@ or billing@, never the engineer's own mailbox), in the customer's own thread:
 * In-Reply-To their latest mail, References that chain plus its id (RFC 5322 3.6.4), our Message-ID,
 * Outlook's Thread-Index.
 */
export function renderRelay({
  ref,
  subject,
  text,
  engineer,
  support,
  to,
  cc,
  parent,
  messageId,
  threadIndex,
  attachments,
  templates,
}: {
  ref: string;
  subject: string;
  text: string;
  engineer: { address: string; name: string };
  support: { address: string; name: string };
  to: string[];
  cc: string[];
  /** The customer's latest message (its id and References), if any had a Message-ID. */
  parent: { messageId: string; references: string[] } | undefined;
  messageId: string;
  threadIndex: string;
  attachments: Array<{ filename: string; contentType: string; sha256: string }>;
  templates: MailTemplates;
}): OutboundMail {
  const references = parent ? [...parent.references.filter((id) => id !== parent.messageId), parent.messageId] : [];
  const signature = engineer.name ? `${engineer.name}, ${support.name}` : support.name;
  const body = templates.render('relay', { supportName: support.name, supportAddress: support.address, ref, subject: subject || '(no subject)', text: text.trim(), engineerName: engineer.name, signature });
  return {
    from: `${engineer.name ? `${engineer.name} (${support.name})` : support.name} <${support.address}>`,
    to,
    ...(cc.length > 0 ? { cc } : {}),
    replyTo: support.address,
    subject: replySubject({ ref, subject }),
    text: body.text,
    html: body.html,
    messageId,
    ...(parent ? { inReplyTo: parent.messageId, references } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
    headers: { 'X-Loop': support.address, 'X-Ticketd-Ticket': ref, 'Thread-Index': threadIndex, 'Thread-Topic': subject || '(no subject)' },
  };
}
