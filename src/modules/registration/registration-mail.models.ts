import { replySubjectPlain } from './registration-text.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';

type Support = { address: string; name: string };
type InReplyTo = { messageId: string | undefined; references: string[] };

/** RFC 3834 markers on every automatic mail of ours, so other robots do not answer it. */
function autoHeaders(support: Support, kind: 'auto-replied' | 'auto-generated'): Record<string, string> {
  return { 'Auto-Submitted': kind, 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address };
}

function threaded(original: InReplyTo | undefined): Pick<OutboundMail, 'inReplyTo' | 'references'> {
  if (!original?.messageId) return {};
  return { inReplyTo: original.messageId, references: [...original.references.filter((id) => id !== original.messageId), original.messageId] };
}

/** To an approved-domain sender who is not (yet) a verified user: the mail is kept; register to release it. */
export function renderRegistrationInvite({ to, name, subject, original, registerUrl, support, helpAddress, messageId, pending }: { to: string; name: string; subject: string; original: InReplyTo; registerUrl: string; support: Support; helpAddress: string; messageId: string; pending: boolean }): OutboundMail {
  const text = [
    name ? `Hello ${name},` : 'Hello,',
    '',
    `we have received your message "${subject || '(no subject)'}" and kept it.`,
    pending
      ? 'Your address is registered but not confirmed yet: please open the link in the confirmation mail we sent you, or request a new one here:'
      : 'Before we can open a ticket, your address must be registered with our support desk. Register here (it takes a minute):',
    '',
    `  ${registerUrl}`,
    '',
    'As soon as your address is confirmed, your message becomes a ticket automatically; you do not need to send it again.',
    `Problems signing up? Write to ${helpAddress}.`,
    '',
    `-- ${support.name} <${support.address}>`,
    '',
  ].join('\n');
  return { from: `${support.name} <${support.address}>`, to: [to], subject: replySubjectPlain(subject), text, messageId, ...threaded(original), headers: autoHeaders(support, 'auto-replied') };
}

/** To a sender whose domain is not approved: polite, says how registration works and where to get help. */
export function renderNotApproved({ to, name, subject, original, support, helpAddress, messageId }: { to: string; name: string; subject: string; original: InReplyTo; support: Support; helpAddress: string; messageId: string }): OutboundMail {
  const domain = to.split('@')[1] ?? '';
  const text = [
    name ? `Hello ${name},` : 'Hello,',
    '',
    `thank you for your message "${subject || '(no subject)'}". We could not open a ticket: this support desk serves registered users of our customers, and ${domain} is not one of the approved customer domains.`,
    '',
    `If your organisation is a customer, or you think this is a mistake, please write to ${helpAddress}: our team will help you register.`,
    '',
    `-- ${support.name} <${support.address}>`,
    '',
  ].join('\n');
  return { from: `${support.name} <${support.address}>`, to: [to], subject: replySubjectPlain(subject), text, messageId, ...threaded(original), headers: autoHeaders(support, 'auto-replied') };
}

/** The confirmation of a self-registration: a single-use link. */
export function renderVerificationMail({ to, name, link, expiresHours, support, helpAddress, messageId }: { to: string; name: string; link: string; expiresHours: number; support: Support; helpAddress: string; messageId: string }): OutboundMail {
  const text = [
    name ? `Hello ${name},` : 'Hello,',
    '',
    'please confirm your address for our support desk by opening this link:',
    '',
    `  ${link}`,
    '',
    `The link works once and expires in ${expiresHours} hours. If you did not ask for this, ignore this mail.`,
    `Questions? Write to ${helpAddress}.`,
    '',
    `-- ${support.name} <${support.address}>`,
    '',
  ].join('\n');
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Confirm your address for support', text, messageId, headers: autoHeaders(support, 'auto-generated') };
}

/** Sent on `users import --welcome` / `users add --welcome`: the company registered you. */
export function renderWelcome({ to, name, organisation, support, messageId }: { to: string; name: string; organisation: string | undefined; support: Support; messageId: string }): OutboundMail {
  const text = [
    name ? `Hello ${name},` : 'Hello,',
    '',
    `you have been registered with our support desk${organisation ? ` for ${organisation}` : ''}.`,
    `To open a ticket, write to ${support.address}. Start the subject with the severity if it is urgent, for example "SEV1 production down".`,
    '',
    `-- ${support.name} <${support.address}>`,
    '',
  ].join('\n');
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Welcome to our support desk', text, messageId, headers: autoHeaders(support, 'auto-generated') };
}
