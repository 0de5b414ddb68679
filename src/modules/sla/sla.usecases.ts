/**
 * The SLA check of open tickets: one synchronous transaction per pass. A ticket without an engineer's first
 * response gets a warning at sla.warnAtPercent of its first-response target (webhook ticket.sla_warning and
 * a mail to the engineers when addresses are given, else a log line) and, at the target, an escalation
 * (PagerDuty trigger with dedup_key REF/sla one severity higher, webhook ticket.escalated) plus a recorded
 * breach. The sla_events unique index makes each of them happen once.
 */
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { calendarOf } from '../paging/paging.config.js';
import { createPaging } from '../paging/paging.usecases.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import { firstResponseStage, firstResponseTarget, oneStepHigher, organisationOf } from './sla-targets.models.js';
import { createSlaRepository } from './sla.repository.js';

export type SlaCheckResult = { checked: number; warned: string[]; breached: string[] };

export function createSlaChecker({
  db,
  config,
  clock = systemClock,
  logger = createSilentLogger(),
  engineerNotify = [],
  templates,
}: {
  db: Db;
  config: Pick<Config, 'sla' | 'paging' | 'pager' | 'webhook' | 'http' | 'support' | 'templates'>;
  clock?: Clock;
  logger?: Logger;
  /** Engineers' notification addresses for warnings (`support.engineerNotify` once it exists); empty: log only. */
  engineerNotify?: string[];
  templates?: MailTemplates;
}) {
  const repository = createSlaRepository({ db });
  const paging = createPaging({ db, config, clock, ...(templates ? { templates } : {}) });
  const calendar = calendarOf(config.paging);

  function checkOnce(): SlaCheckResult {
    const now = clock.now();
    const result = db.transaction((): SlaCheckResult => {
      const open = repository.listAwaitingFirstResponse();
      const events = repository.listEvents(open.map((ticket) => ticket.id));
      const done = new Set(events.map((event) => `${event.ticketId}:${event.kind}`));
      const warned: string[] = [];
      const breached: string[] = [];
      for (const ticket of open) {
        const target = firstResponseTarget({ sla: config.sla, organisation: organisationOf(ticket.requesterEmail), severity: ticket.severity, calendar });
        const { stage, dueAt } = firstResponseStage({ createdAt: ticket.createdAt, now, target, warnAtPercent: config.sla.warnAtPercent, calendar });
        const base = { ticketId: ticket.id, metric: 'first_response' as const, severity: ticket.severity, target: target.text, dueAt, recordedAt: now };
        if (stage === 'breach' && !done.has(`${ticket.id}:breach`)) {
          if (!repository.record({ ...base, kind: 'breach' })) continue;
          paging.enqueueSlaEscalation({ ticket, severity: oneStepHigher(ticket.severity), target: target.text, dueAt, at: now });
          breached.push(ticket.ref);
        } else if (stage === 'warning' && !done.has(`${ticket.id}:warning`) && !done.has(`${ticket.id}:breach`)) {
          if (!repository.record({ ...base, kind: 'warning' })) continue;
          paging.enqueueSlaWarning({ ticket, target: target.text, dueAt, engineers: engineerNotify, at: now });
          warned.push(ticket.ref);
        }
      }
      return { checked: open.length, warned, breached };
    }, { behavior: 'immediate' });
    for (const ref of result.warned) {
      logger.warn({ ref, engineersNotified: engineerNotify.length > 0 }, 'SLA warning: no first response yet');
    }
    for (const ref of result.breached) logger.error({ ref }, 'SLA breached: first response overdue, escalated');
    return result;
  }

  return { checkOnce };
}

export type SlaChecker = ReturnType<typeof createSlaChecker>;
