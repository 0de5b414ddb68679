/**
 * The SLA check of open tickets: one transaction per pass (database work only: the mail templates are read before). Two waits are watched:
 * - the first response: a ticket without an engineer's public reply, counted from its creation;
 * - each update: once answered, a ticket that is on us again (new or open) must get the engineer's next
 *   public reply within the update target, counted from the last one or from the customer's return to a
 *   pending or resolved ticket (`tickets.update_clock_from`). Pending tickets wait on the customer: no clock.
 * At sla.warnAtPercent of the target a warning (webhook ticket.sla_warning and a mail to the engineers when
 * addresses are given, else a log line); at the target an escalation one severity higher (PagerDuty trigger
 * with dedup_key REF/sla, or REF/update for updates, which the next engineer reply resolves; webhook
 * ticket.escalated) plus a recorded breach. The sla_events unique index makes each happen once per wait.
 */
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { createPaging, type SlaMetric } from '../paging/paging.usecases.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { firstResponseTarget, oneStepHigher, slaStage, updateClockOf, updateTarget } from './sla-targets.models.js';
import { createSlaRepository } from './sla.repository.js';
import { calendarOf } from '../desk/business-hours.models.js';
import { organisationOf } from '../desk/address.models.js';

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
  config: Pick<Config, 'sla' | 'paging' | 'pager' | 'webhook' | 'http' | 'support' | 'imap' | 'templates'>;
  clock?: Clock;
  logger?: Logger;
  /** Engineers' notification addresses for warnings (`support.engineerNotify` once it exists); empty: log only. */
  engineerNotify?: string[];
  templates?: MailTemplates;
}) {
  const repository = createSlaRepository({ db });
  // Warnings mail the engineers: their template is read here, not on the first warning inside the transaction.
  const mailTemplates = templates ?? (engineerNotify.length > 0 ? requireMailTemplates({ dir: config.templates.dir }) : undefined);
  const paging = createPaging({ db, config, clock, ...(mailTemplates ? { templates: mailTemplates } : {}) });
  const calendar = calendarOf(config.paging);

  async function checkOnce(): Promise<SlaCheckResult> {
    const now = clock.now();
    let checked = 0;
    // One transaction: what is due, what was already done, and the events and pages recorded for it, together.
    const acted = await db.transaction(async (): Promise<Array<{ ref: string; metric: SlaMetric; kind: 'warning' | 'breach' }>> => {
      const awaitingFirst = await repository.listAwaitingFirstResponse();
      const awaitingUpdate = await repository.listAwaitingUpdate();
      const events = await repository.listEvents([...awaitingFirst, ...awaitingUpdate].map((ticket) => ticket.id));
      const done = new Set(events.map((event) => `${event.ticketId}:${event.metric}:${event.cycle}:${event.kind}`));
      const actions: Array<{ ref: string; metric: SlaMetric; kind: 'warning' | 'breach' }> = [];
      const waits = [
        ...awaitingFirst.map((ticket) => ({ ticket, metric: 'first_response' as const, from: ticket.createdAt, cycle: 0 })),
        ...awaitingUpdate.flatMap((ticket) => {
          const from = updateClockOf(ticket);
          return from ? [{ ticket, metric: 'update' as const, from, cycle: from.getTime() }] : [];
        }),
      ];
      for (const { ticket, metric, from, cycle } of waits) {
        const targetOf = metric === 'first_response' ? firstResponseTarget : updateTarget;
        const target = targetOf({ sla: config.sla, organisation: organisationOf(ticket.requesterEmail), severity: ticket.severity, calendar });
        const { stage, dueAt } = slaStage({ from, now, target, warnAtPercent: config.sla.warnAtPercent, calendar });
        const key = `${ticket.id}:${metric}:${cycle}`;
        const base = { ticketId: ticket.id, metric, cycle, severity: ticket.severity, target: target.text, dueAt, recordedAt: now };
        if (stage === 'breach' && !done.has(`${key}:breach`)) {
          if (!(await repository.record({ ...base, kind: 'breach' }))) continue;
          await paging.enqueueSlaEscalation({ ticket, severity: oneStepHigher(ticket.severity), target: target.text, dueAt, metric, cycle, at: now });
          actions.push({ ref: ticket.ref, metric, kind: 'breach' });
        } else if (stage === 'warning' && !done.has(`${key}:warning`) && !done.has(`${key}:breach`)) {
          if (!(await repository.record({ ...base, kind: 'warning' }))) continue;
          await paging.enqueueSlaWarning({ ticket, target: target.text, dueAt, engineers: engineerNotify, metric, cycle, at: now });
          actions.push({ ref: ticket.ref, metric, kind: 'warning' });
        }
      }
      checked = waits.length;
      return actions;
    });
    // Logged once committed; `CS-1 (update)` in the result tells an update wait from the first response.
    const label = ({ ref, metric }: { ref: string; metric: SlaMetric }) => (metric === 'update' ? `${ref} (update)` : ref);
    const what = (metric: SlaMetric) => (metric === 'update' ? 'update' : 'first response');
    for (const action of acted) {
      if (action.kind === 'warning') logger.warn({ ref: action.ref, metric: action.metric, engineersNotified: engineerNotify.length > 0 }, `SLA warning: no ${what(action.metric)} yet`);
      else logger.error({ ref: action.ref, metric: action.metric }, `SLA breached: ${what(action.metric)} overdue, escalated`);
    }
    return {
      checked,
      warned: acted.filter((action) => action.kind === 'warning').map(label),
      breached: acted.filter((action) => action.kind === 'breach').map(label),
    };
  }

  return { checkOnce };
}

export type SlaChecker = ReturnType<typeof createSlaChecker>;
