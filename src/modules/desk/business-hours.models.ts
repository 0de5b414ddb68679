/**
 * Business hours in an IANA time zone, pure and DST-correct: wall-clock times are turned into instants with
 * the zone's offset at that very instant (Intl), never with a fixed offset, so "09:00 Europe/Berlin" is 08:00Z
 * in winter and 07:00Z in summer, across the end-of-March and end-of-October switches.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export type BusinessCalendar = {
  timezone: string;
  days: Weekday[];
  /** "HH:MM" local wall-clock time. */
  start: string;
  end: string;
  /** Local dates "YYYY-MM-DD" with no business hours at all. */
  holidays: string[];
};

const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Far enough to cross any realistic run of holidays; a calendar without business days gives up here. */
const MAX_DAYS_SCANNED = 400;

type LocalDate = { year: number; month: number; day: number };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** True when `timezone` is a zone name Intl knows (e.g. "Europe/Berlin"). */
export function isValidTimezone(timezone: string): boolean {
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `at` in `timezone`. */
export function localPartsOf(at: Date, timezone: string): LocalDate & { hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(formatterFor(timezone).formatToParts(at).map((part) => [part.type, part.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second) };
}

/** Offset of `timezone` from UTC at instant `ms`, in ms (Berlin summer: +2 h). */
function offsetAt(ms: number, timezone: string): number {
  const local = localPartsOf(new Date(ms), timezone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - (ms - (ms % 1000 + 1000) % 1000);
}

/**
 * The instant at which the wall clock in `timezone` shows this local time. A time in the spring-forward gap
 * (02:30 on the last Sunday of March in Berlin) moves forward by the gap (03:30); in the autumn overlap
 * (02:30 happening twice) the first one.
 */
export function zonedTime(date: LocalDate, minutes: number, timezone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // Zones change offset at most once around a given wall time: try the offsets of the day before and after.
  const before = offsetAt(wall - 86_400_000, timezone);
  const after = offsetAt(wall + 86_400_000, timezone);
  const valid = [wall - before, wall - after].filter((candidate) => candidate + offsetAt(candidate, timezone) === wall);
  if (valid.length > 0) return new Date(Math.min(...valid));
  return new Date(wall - before);
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function addDays(date: LocalDate, days: number): LocalDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

function isoDate(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

function isBusinessDay(date: LocalDate, calendar: BusinessCalendar): boolean {
  const weekday = WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()] as Weekday;
  return calendar.days.includes(weekday) && !calendar.holidays.includes(isoDate(date));
}

/** The business-hours windows [start, end) from the local day of `from` on, in order. */
function* windowsFrom(from: Date, calendar: BusinessCalendar): Generator<{ start: Date; end: Date }> {
  const first = localPartsOf(from, calendar.timezone);
  const startMinutes = minutesOf(calendar.start);
  const endMinutes = minutesOf(calendar.end);
  for (let offset = -1; offset < MAX_DAYS_SCANNED; offset += 1) {
    const date = addDays(first, offset);
    if (!isBusinessDay(date, calendar)) continue;
    const start = zonedTime(date, startMinutes, calendar.timezone);
    const end = zonedTime(date, endMinutes, calendar.timezone);
    if (end.getTime() > from.getTime() && end > start) yield { start, end };
  }
}

export function isBusinessTime(at: Date, calendar: BusinessCalendar): boolean {
  return nextBusinessStart(at, calendar).getTime() === at.getTime();
}

/** `at` itself when it falls in business hours, else the start of the next business-hours window. */
export function nextBusinessStart(at: Date, calendar: BusinessCalendar): Date {
  for (const window of windowsFrom(at, calendar)) return window.start > at ? window.start : at;
  throw new Error(`no business hours within ${MAX_DAYS_SCANNED} days of ${at.toISOString()} (check paging.businessDays and holidays)`);
}

/** The instant `minutes` of business time after `from` (business time before `from` does not count). */
export function addBusinessMinutes(from: Date, minutes: number, calendar: BusinessCalendar): Date {
  let left = minutes * 60_000;
  for (const window of windowsFrom(from, calendar)) {
    const start = Math.max(window.start.getTime(), from.getTime());
    const available = window.end.getTime() - start;
    if (left <= available) return new Date(start + left);
    left -= available;
  }
  throw new Error(`no business hours within ${MAX_DAYS_SCANNED} days of ${from.toISOString()}`);
}

/** Minutes in one business day: what "2 business days" multiplies. */
export function businessDayMinutes(calendar: BusinessCalendar): number {
  return minutesOf(calendar.end) - minutesOf(calendar.start);
}

/** The business-hours calendar of the `paging` config section (also used by SLA targets). */
export function calendarOf(paging: { timezone: string; businessDays: Weekday[]; businessHoursStart: string; businessHoursEnd: string; holidays: string[] }): BusinessCalendar {
  return { timezone: paging.timezone, days: paging.businessDays, start: paging.businessHoursStart, end: paging.businessHoursEnd, holidays: paging.holidays };
}
