import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { MailTemplates } from '../templates/templates.loader.js';

type Support = { address: string; name: string };

/** The mail of `/reset`: a single-use link (its token sealed by the caller). Marked automatic so no robot answers it. */
export function renderPasswordReset({ to, link, expiresMinutes, support, helpAddress, messageId, templates }: { to: string; link: string; expiresMinutes: number; support: Support; helpAddress: string; messageId: string; templates: MailTemplates }): OutboundMail {
  const { text, html } = templates.render('password-reset', { supportName: support.name, supportAddress: support.address, link, expiresMinutes, helpAddress });
  return { from: `${support.name} <${support.address}>`, to: [to], subject: 'Your new password for support', text, html, messageId, headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Loop': support.address } };
}
