import type { BusinessCalendar } from '../desk/business-hours.models.js';
import { organisationOf } from '../desk/address.models.js';
import { deadlineOf } from '../desk/response-target.models.js';
import type { Severity } from '../desk/severity.models.js';
import { firstResponseTarget, updateClockOf, updateTarget, type SlaConfig } from './sla-targets.models.js';

type Ticket = { status: string; severity: Severity; requesterEmail: string; createdAt: Date; firstRespondedAt: Date | null; updateClockFrom: Date | null };

/**
 * Pure: when the customer's next answer is due, by the same targets the SLA check escalates on: the first
 * response (counted from creation) until there is one, then the next update while the ticket is on us.
 * Undefined while it waits on the customer (pending) or nobody (resolved, closed).
 */
export function slaDueOf({ ticket, sla, calendar }: { ticket: Ticket; sla: SlaConfig; calendar: BusinessCalendar }): { dueAt: Date; metric: 'first_response' | 'update' } | undefined {
  if (ticket.status === 'resolved' || ticket.status === 'closed') return undefined;
  const organisation = organisationOf(ticket.requesterEmail);
  if (ticket.firstRespondedAt === null) {
    if (ticket.status === 'pending') return undefined;
    return { dueAt: deadlineOf({ from: ticket.createdAt, target: firstResponseTarget({ sla, organisation, severity: ticket.severity, calendar }), calendar }), metric: 'first_response' };
  }
  const from = updateClockOf(ticket);
  if (!from) return undefined;
  return { dueAt: deadlineOf({ from, target: updateTarget({ sla, organisation, severity: ticket.severity, calendar }), calendar }), metric: 'update' };
}
