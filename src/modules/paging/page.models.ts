import { withoutTrailingSlashes } from '../../shared/url.js';
import type { PagerEvent } from '../pager/pager.types.js';
import { toPagerSeverity } from '../pager/pagerduty.models.js';

type Severity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';
type Link = { href: string; text: string };

/**
 * The PagerDuty trigger for a ticket; dedup_key is the ticket ref (or `REF/sla` for an SLA escalation) so
 * retries never open a second alert. custom_details carry ticket facts only, never the customer's mail.
 */
export function buildTriggerEvent({
  routingKey,
  source,
  ticket,
  requester,
  at,
  dedupKey = ticket.ref,
  links,
  reason,
}: {
  routingKey: string;
  source: string;
  ticket: { ref: string; subject: string; severity: Severity; priority: string };
  requester: { address: string; name: string };
  at: Date;
  dedupKey?: string;
  links?: Link[];
  /** Why this trigger is sent when it is not the new ticket's page, e.g. "SLA breach: no first response". */
  reason?: string;
}): PagerEvent {
  const who = requester.name ? `${requester.name} <${requester.address}>` : requester.address;
  const subject = subjectWithoutSeverity(ticket.subject);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: `${reason ? `${reason}: ` : ''}[${ticket.ref}] ${ticket.severity} ${subject || '(no subject)'} (from ${who})`,
      source,
      severity: toPagerSeverity(ticket.severity),
      timestamp: at.toISOString(),
      component: 'support',
      class: ticket.severity,
      custom_details: {
        ref: ticket.ref,
        severity: ticket.severity,
        priority: ticket.priority,
        subject: ticket.subject,
        requester: requester.address,
        ...(reason ? { reason } : {}),
      },
    },
    ...(links && links.length > 0 ? { links } : {}),
  };
}

// The marks readSeverity accepts (SEV1, Sev 1, sev-1, Severity: 1, [SEV1], (SEV1)). Bounded gaps keep every
// match attempt constant-time, so stripping stays linear in the subject's length whatever the customer wrote.
const SEVERITY_MARK = /(?<![\p{L}\p{N}])[[(]?sev(?:erity)?[ \t]{0,3}[:=#_\-\u2013]?[ \t]{0,3}[1-4](?![\p{L}\p{N}])[\])]?(?:[ \t]{0,3}[:\-\u2013])?/giu;

/**
 * The subject as the page shows it after `[REF] SEVn`: without the customer's own severity marks, which would
 * repeat the severity (`[CS-1] SEV1 [SEV1] API down`) or contradict it once an engineer or a follow-up changed it
 * (`Severity raised: [CS-1] SEV1 [SEV3] ...`). The ticket's subject itself is kept as written (custom_details).
 */
export function subjectWithoutSeverity(subject: string): string {
  const spaced = subject.replace(SEVERITY_MARK, ' ').replace(/\s+/g, ' ').trim();
  // One separator left at either end by a removed mark (`SEV1: API down`, `API down - SEV1`), cut by index:
  // a `\s*[-:]$` regex would retry from every blank (quadratic in a hostile subject).
  const separator = (char: string | undefined) => char !== undefined && '-:\u2013|,;'.includes(char);
  let text = spaced;
  if (separator(text[0])) text = text.slice(1).trimStart();
  if (separator(text[text.length - 1])) text = text.slice(0, -1).trimEnd();
  return text;
}

/**
 * The page for a SEV1 held back by the flood guard: marked as a flood in the summary, class and details;
 * dedup_key `flood/<sender>` folds a sender's flood pages into one alert. Nothing the sender wrote is in it.
 */
export function buildFloodTriggerEvent({ routingKey, source, sender, inboundId, at }: { routingKey: string; source: string; sender: string; inboundId: number; at: Date }): PagerEvent {
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: `flood/${sender}`,
    payload: {
      summary: `[flood] SEV1 from ${sender} held back by the flood guard (no ticket opened): see ticketd quarantine list, message ${inboundId}`,
      source,
      severity: toPagerSeverity('SEV1'),
      timestamp: at.toISOString(),
      component: 'support',
      class: 'flood',
      custom_details: { flood: true, severity: 'SEV1', requester: sender, inboundId },
    },
  };
}

/** acknowledge / resolve: only the routing key and dedup_key of the trigger matter to PagerDuty. */
export function buildFollowUpEvent({ action, routingKey, dedupKey }: { action: 'acknowledge' | 'resolve'; routingKey: string; dedupKey: string }): PagerEvent {
  return { routing_key: routingKey, event_action: action, dedup_key: dedupKey };
}

/** `${publicUrl}/tickets/REF`, or no link when http.publicUrl is not set. */
export function ticketLinks({ publicUrl, ref }: { publicUrl: string; ref: string }): Link[] {
  if (!publicUrl) return [];
  return [{ href: `${withoutTrailingSlashes(publicUrl)}/tickets/${encodeURIComponent(ref)}`, text: `Ticket ${ref}` }];
}
