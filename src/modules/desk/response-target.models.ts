/**
 * A response target, pure. A target is calendar time (`30m`, `2h`, `1d`) or business time (`8bh` business
 * hours, `2bd` business days of the configured business day), so a SEV3 opened on Friday at 16:00 with 8bh is
 * due the next business day at 15:00 (with 09:00-17:00), not at midnight. The config checks the syntax; SLA
 * policy (which target applies to whom) lives in the sla module.
 */
import { addBusinessMinutes, businessDayMinutes, type BusinessCalendar } from './business-hours.models.js';

export type SlaTarget = { minutes: number; business: boolean; text: string };

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
