import type { Config } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import { buildSlaReport, type ReportRow } from './sla-report.models.js';
import { firstResponseTarget } from './sla-targets.models.js';
import { createSlaRepository } from './sla.repository.js';
import { calendarOf } from '../desk/business-hours.models.js';
import { deadlineOf } from '../desk/response-target.models.js';
import { organisationOf } from '../desk/address.models.js';

/**
 * The SLA report over tickets created since `since`, against each ticket's current severity and its
 * organisation's first-response target. A breach the checker recorded counts as a breach even if the
 * target was changed in the config since.
 */
export async function slaReport({ db, config, since, now }: { db: Db; config: Pick<Config, 'sla' | 'paging'>; since?: Date; now: Date }): Promise<ReportRow[]> {
  const repository = createSlaRepository({ db });
  const calendar = calendarOf(config.paging);
  const recorded = new Set((await repository.listBreaches()).map((event) => event.ticketId));
  const tickets = (await repository.listTicketsSince(since)).map((ticket) => {
    const organisation = organisationOf(ticket.requesterEmail);
    const target = firstResponseTarget({ sla: config.sla, organisation, severity: ticket.severity, calendar });
    const dueAt = deadlineOf({ from: ticket.createdAt, target, calendar });
    return { organisation, severity: ticket.severity, createdAt: ticket.createdAt, firstRespondedAt: ticket.firstRespondedAt, dueAt, breachRecorded: recorded.has(ticket.id) };
  });
  return buildSlaReport({ tickets, now });
}
