/**
 * What `npm run demo` prints about what happened, as pure functions of what the daemon recorded: one line per
 * delivered mail, the mail the SMTP peer got sorted by what it is, and which production defaults the demo
 * changed. Kept apart from demo.ts (which only starts things and delivers mail) so the wording is testable.
 */

/** Why a mail got its outcome, in words, for the reasons the sample mails run into; others are shown as recorded. */
const REASONS: Record<string, string> = {
  new: 'a new ticket from an approved customer domain, confirmed to the sender, on-call paged',
  'sender-not-approved': "refused: the sender's domain is not an approved customer domain (no ticket, no page; one polite refusal)",
  'in-reply-to': 'added to its ticket: it answers a mail of that ticket (In-Reply-To)',
  token: "added to its ticket: it answers the ticket's signed Reply-To",
  'subject-ref': 'added to its ticket: the subject names the ticket',
};

export type RecordedArrival = { outcome: string; reason: string; ticket?: { ref: string; severity: string; priority: string } };

/** `01-sev1-outage.eml -> ticket CS-1 (SEV1 / Urgent): a new ticket from ...` */
export function describeArrival(label: string, arrival: RecordedArrival | undefined): string {
  if (!arrival) return `${label} -> no outcome recorded yet`;
  const why = REASONS[arrival.reason] ?? (arrival.outcome === 'auto-reply' ? `an automatic reply (${arrival.reason}): recorded, never answered` : arrival.reason);
  const { ticket } = arrival;
  const where = ticket ? (arrival.outcome === 'ticket' ? ` ${ticket.ref} (${ticket.severity} / ${ticket.priority})` : ` on ${ticket.ref}`) : '';
  return `${label} -> ${arrival.outcome}${where}: ${why}`;
}

export type SentKind = 'confirmation' | 'reply' | 'notification' | 'refusal' | 'registration' | 'other';

/** What a mail ticketd sent is, from the effect key it was queued under (outbox rows: `confirmation:12`, ...). */
export function kindOfSentMail(effectKey: string | undefined): SentKind {
  const prefix = effectKey?.split(':')[0] ?? '';
  if (prefix === 'confirmation') return 'confirmation';
  if (prefix === 'relay') return 'reply';
  if (prefix === 'notify' || prefix === 'mail') return 'notification';
  if (prefix === 'not-approved') return 'refusal';
  if (prefix === 'registration-link' || prefix === 'verify-mail' || prefix === 'welcome') return 'registration';
  return 'other';
}

export const SENT_KIND_TITLES: Record<SentKind, string> = {
  confirmation: 'Confirmations of new tickets',
  reply: "Engineers' replies relayed to customers",
  notification: 'Notifications to engineers',
  refusal: 'Refusals (senders who may not open tickets)',
  registration: 'Registration invitations',
  other: 'Other mail',
};

type Settings = {
  support: { requireRegistration: boolean };
  security: { senderAuth: string };
  paging: { policy: Record<string, string> };
};

/**
 * The demo runs with settings a production desk would not use, so that it works on loopback at any hour with
 * no receiving MTA: each one the demo changed, and what production does instead.
 */
export function productionDifferences({ demo, defaults }: { demo: Settings; defaults: Settings }): string[] {
  const lines: string[] = [];
  if (demo.support.requireRegistration !== defaults.support.requireRegistration) {
    lines.push(
      `support.requireRegistration: ${demo.support.requireRegistration} here (default ${defaults.support.requireRegistration}). Here any sender of an approved domain opens a ticket. In production, mail from an address that has not registered and confirmed it is held (ticketd held list) and its sender gets a registration link; the mail becomes a ticket once they verify.`,
    );
  }
  if (demo.security.senderAuth !== defaults.security.senderAuth) {
    lines.push(
      `security.senderAuth: ${demo.security.senderAuth} here (default ${defaults.security.senderAuth}). Here the From header is believed, as there is no receiving MTA. In production a mail counts as a customer's or an engineer's only when our receiving server's Authentication-Results (security.authservId) say DMARC passed for the From domain (or with verify, ticketd checks DKIM/SPF/DMARC itself); a forged From is quarantined sender-not-authenticated, without ticket, page or reply.`,
    );
  }
  const changed = Object.keys(defaults.paging.policy).filter((severity) => demo.paging.policy[severity] !== defaults.paging.policy[severity]);
  if (changed.length > 0) {
    const show = (policy: Record<string, string>) => Object.entries(policy).map(([severity, rule]) => `${severity} ${rule}`).join(', ');
    lines.push(
      `paging.policy: ${show(demo.paging.policy)} here (default ${show(defaults.paging.policy)}). Here every ticket pages at once, whatever the hour. In production a ${changed.join('/')} ticket raised outside business hours (paging.timezone, businessDays, businessHoursStart-End) pages at the next business-hours start.`,
    );
  }
  return lines;
}
