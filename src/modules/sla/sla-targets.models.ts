/**
 * SLA targets, pure. A target is calendar time (`30m`, `2h`, `1d`) or business time (`8bh` business hours,
 * `2bd` business days of the configured business day), so a SEV3 opened on Friday at 16:00 with 8bh is due
 * the next business day at 15:00 (with 09:00-17:00), not at midnight.
 */
import type { Severity } from '../intake/severity.models.js';
import { domainOf } from '../intake/sender.models.js';
import { addBusinessMinutes, businessDayMinutes, type BusinessCalendar } from '../paging/business-hours.models.js';

export type SlaTarget = { minutes: number; business: boolean; text: string };
export type SeverityTargets = Record<Severity, string>;
export type SlaConfig = {
  firstResponse: SeverityTargets;
  update: SeverityTargets;
  organisations: Record<string, { firstResponse?: Partial<SeverityTargets>; update?: Partial<SeverityTargets> }>;
  warnAtPercent: number;
};

const TARGET_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(m|h|d|bh|bd)\s*$/i;

export function isValidSlaTarget(text: string): boolean {
  const match = TARGET_PATTERN.exec(text);
  return match !== null && Number(match[1]) > 0;
}

export function parseSlaTarget(text: string, calendar: BusinessCalendar): SlaTarget {
  const match = TARGET_PATTERN.exec(text);
  if (!match) throw new Error(`invalid SLA target "${text}"`);
  const amount = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const minutes = unit === 'm' ? amount : unit === 'h' || unit === 'bh' ? amount * 60 : unit === 'd' ? amount * 1440 : amount * businessDayMinutes(calendar);
  return { minutes, business: unit.startsWith('b'), text: text.trim() };
}

/** The organisation of a ticket, for SLA and routing: the requester's domain (until organisations exist). */
export function organisationOf(requesterEmail: string): string {
  return domainOf(requesterEmail);
}

export function firstResponseTarget({ sla, organisation, severity, calendar }: { sla: SlaConfig; organisation: string; severity: Severity; calendar: BusinessCalendar }): SlaTarget {
  return parseSlaTarget(sla.organisations[organisation]?.firstResponse?.[severity] ?? sla.firstResponse[severity], calendar);
}

/** The update target: how long a customer may wait for an engineer's next update once the first response came. */
export function updateTarget({ sla, organisation, severity, calendar }: { sla: SlaConfig; organisation: string; severity: Severity; calendar: BusinessCalendar }): SlaTarget {
  return parseSlaTarget(sla.organisations[organisation]?.update?.[severity] ?? sla.update[severity], calendar);
}

/** `from` plus `share` (0..1) of the target, in calendar or business time. */
export function deadlineOf({ from, target, share = 1, calendar }: { from: Date; target: SlaTarget; share?: number; calendar: BusinessCalendar }): Date {
  const minutes = target.minutes * share;
  return target.business ? addBusinessMinutes(from, minutes, calendar) : new Date(from.getTime() + minutes * 60_000);
}

/** "30 minutes", "2 hours", "8 business hours", "2 business days": for the customer's confirmation. */
export function describeSlaTarget(target: SlaTarget): string {
  const match = TARGET_PATTERN.exec(target.text);
  const amount = Number(match?.[1] ?? target.minutes);
  const unit = (match?.[2] ?? 'm').toLowerCase();
  const names: Record<string, string> = { m: 'minute', h: 'hour', d: 'day', bh: 'business hour', bd: 'business day' };
  return `${amount} ${names[unit]}${amount === 1 ? '' : 's'}`;
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
