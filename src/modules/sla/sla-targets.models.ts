/**
 * SLA targets per organisation and severity, pure: which target applies, where a wait stands, what is one
 * step more urgent. The target grammar itself (`30m`, `8bh`) is a word of the desk (desk/response-target).
 */
import type { Severity } from '../desk/severity.models.js';
import type { BusinessCalendar } from '../desk/business-hours.models.js';
import { deadlineOf, parseSlaTarget, type SlaTarget } from '../desk/response-target.models.js';

export type { SlaTarget };

export type SeverityTargets = Record<Severity, string>;
export type SlaConfig = {
  firstResponse: SeverityTargets;
  update: SeverityTargets;
  organisations: Record<string, { firstResponse?: Partial<SeverityTargets>; update?: Partial<SeverityTargets> }>;
  warnAtPercent: number;
};

export function firstResponseTarget({ sla, organisation, severity, calendar }: { sla: SlaConfig; organisation: string; severity: Severity; calendar: BusinessCalendar }): SlaTarget {
  return parseSlaTarget(sla.organisations[organisation]?.firstResponse?.[severity] ?? sla.firstResponse[severity], calendar);
}

/** The update target: how long a customer may wait for an engineer's next update once the first response came. */
export function updateTarget({ sla, organisation, severity, calendar }: { sla: SlaConfig; organisation: string; severity: Severity; calendar: BusinessCalendar }): SlaTarget {
  return parseSlaTarget(sla.organisations[organisation]?.update?.[severity] ?? sla.update[severity], calendar);
}

export type SlaStage = 'ok' | 'warning' | 'breach';

/** Where a wait that began at `from` stands at `now`: the first response (from creation) or an update (from the last reply). */
export function slaStage({ from, now, target, warnAtPercent, calendar }: { from: Date; now: Date; target: SlaTarget; warnAtPercent: number; calendar: BusinessCalendar }): { stage: SlaStage; dueAt: Date; warnAt: Date } {
  const dueAt = deadlineOf({ from, target, calendar });
  const warnAt = deadlineOf({ from, target, share: warnAtPercent / 100, calendar });
  const stage: SlaStage = now >= dueAt ? 'breach' : now >= warnAt ? 'warning' : 'ok';
  return { stage, dueAt, warnAt };
}

/**
 * Whether a ticket is waiting for an engineer's update, and since when: only after the first response, only
 * while it is on us (new or open; pending waits on the customer, resolved and closed wait on nobody).
 */
export function updateClockOf(ticket: { status: string; firstRespondedAt: Date | null; updateClockFrom: Date | null }): Date | undefined {
  if (ticket.firstRespondedAt === null || ticket.updateClockFrom === null) return undefined;
  return ticket.status === 'new' || ticket.status === 'open' ? ticket.updateClockFrom : undefined;
}

const ORDER: Severity[] = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];
/** One step more urgent: SEV3 -> SEV2; SEV1 stays SEV1. */
export function oneStepHigher(severity: Severity): Severity {
  return ORDER[Math.max(0, ORDER.indexOf(severity) - 1)] as Severity;
}
