import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { MailTemplates } from '../templates/templates.loader.js';

type Support = { address: string; name: string };
type InReplyTo = { messageId: string | undefined; references: string[] };

/** RFC 3834 markers on every automatic mail of ours, so other robots do not answer it. */
function autoHeaders(support: Support, kind: 'auto-replied' | 'auto-generated'): Record<string, string> {
  return { 'Auto-Submitted': kind, 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address };
}

/**
 * Refusals and invitations answer mail whose sender may be anyone: the From of a refused mail is not
 * authenticated, so these mails must carry nothing the sender wrote (display name, subject, links), or help@
 * would deliver an outsider's text to whoever they name. The subject is ours; only the parent's Message-ID
 * keeps the thread (not its References: those are the sender's text too).
 */
function answering(original: InReplyTo | undefined): Pick<OutboundMail, 'inReplyTo' | 'references'> {
  return original?.messageId ? { inReplyTo: original.messageId, references: [original.messageId] } : {};
}

/** To an approved-domain sender who is not (yet) a verified user: the mail is kept; register to release it. */
export function renderRegistrationInvite({ to, original, registerUrl, support, helpAddress, messageId, pending, templates }: { to: string; original: InReplyTo; registerUrl: string; support: Support; helpAddress: string; messageId: string; pending: boolean; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('registration-invite', { supportName: support.name, supportAddress: support.address, registerUrl, helpAddress, pending });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: `Your message to ${support.name}: please register`, text, html, messageId, ...answering(original), headers: autoHeaders(support, 'auto-replied') };
}

/** To a sender whose domain is not approved: polite, says how registration works and where to get help. */
export function renderNotApproved({ to, original, support, helpAddress, messageId, templates }: { to: string; original: InReplyTo; support: Support; helpAddress: string; messageId: string; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('not-approved', { supportName: support.name, supportAddress: support.address, helpAddress });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: `Your message to ${support.name}`, text, html, messageId, ...answering(original), headers: autoHeaders(support, 'auto-replied') };
}

/** The confirmation of a self-registration: a single-use link to a page whose button confirms (and sets the password). */
export function renderVerificationMail({ to, name, link, expiresHours, support, helpAddress, messageId, templates }: { to: string; name: string; link: string; expiresHours: number; support: Support; helpAddress: string; messageId: string; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('verification', { supportName: support.name, supportAddress: support.address, customerName: name, link, expiresHours, helpAddress });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Confirm your address for support', text, html, messageId, headers: autoHeaders(support, 'auto-generated') };
}

/**
 * Sent on `users import --welcome` / `users add --welcome`: the company registered you. `link` sets the
 * portal password (its token sealed by the caller: see sealed-links.models); empty without a portal.
 */
export function renderWelcome({ to, name, organisation, support, messageId, link = '', linkHours = 0, templates }: { to: string; name: string; organisation: string | undefined; support: Support; messageId: string; link?: string; linkHours?: number; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('welcome', { supportName: support.name, supportAddress: support.address, customerName: name, organisation: organisation ?? '', link, linkHours });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Welcome to our support desk', text, html, messageId, headers: autoHeaders(support, 'auto-generated') };
}

/** To an address that signed up while it already has an account: where to sign in, and a password link (sealed by the caller). */
export function renderSignupKnown({ to, loginUrl, link, expiresMinutes, support, helpAddress, messageId, templates }: { to: string; loginUrl: string; link: string; expiresMinutes: number; support: Support; helpAddress: string; messageId: string; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('signup-known', { supportName: support.name, supportAddress: support.address, loginUrl, link, expiresMinutes, helpAddress });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Your account at our support desk', text, html, messageId, headers: autoHeaders(support, 'auto-generated') };
}

/** To an address of a domain that is not approved, which signed up on the web form. Nothing typed on the form is in it. */
export function renderSignupRefused({ to, domain, support, helpAddress, messageId, templates }: { to: string; domain: string; support: Support; helpAddress: string; messageId: string; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('signup-refused', { supportName: support.name, supportAddress: support.address, domain, helpAddress });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Your registration at our support desk', text, html, messageId, headers: autoHeaders(support, 'auto-generated') };
}
