import type { PagerEvent } from './pager.types.js';
import { toPagerSeverity } from './pagerduty.models.js';

type Severity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';

/** The PagerDuty trigger for a new ticket; dedup_key is the ticket ref so retries never open a second alert. */
export function buildTriggerEvent({
  routingKey,
  source,
  ticket,
  requester,
  at,
}: {
  routingKey: string;
  source: string;
  ticket: { ref: string; subject: string; severity: Severity; priority: string };
  requester: { address: string; name: string };
  at: Date;
}): PagerEvent {
  const who = requester.name ? `${requester.name} <${requester.address}>` : requester.address;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: ticket.ref,
    payload: {
      summary: `[${ticket.ref}] ${ticket.severity} ${ticket.subject || '(no subject)'} (from ${who})`,
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
      },
    },
  };
}
