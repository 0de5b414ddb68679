import type { Severity } from '../desk/severity.models.js';

export type ReportTicket = { organisation: string; severity: Severity; createdAt: Date; firstRespondedAt: Date | null; dueAt: Date; breachRecorded?: boolean };
export type ReportRow = {
  organisation: string;
  severity: Severity;
  tickets: number;
  met: number;
  breached: number;
  /** Not answered yet and not yet due. */
  pending: number;
  medianFirstResponseMinutes: number | null;
  p90FirstResponseMinutes: number | null;
};

/** Nearest-rank percentile of sorted values (p in 0..100): the smallest value with at least p % at or below it. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/**
 * First-response compliance per organisation and severity. Met: answered by the due time; breached: answered
 * late, unanswered past the due time, or recorded as breached by the checker; pending: unanswered, not yet
 * due. tickets = met + breached + pending.
 * Times are calendar minutes from creation to the first engineer response (answered tickets only).
 */
export function buildSlaReport({ tickets, now }: { tickets: ReportTicket[]; now: Date }): ReportRow[] {
  const groups = new Map<string, ReportTicket[]>();
  for (const ticket of tickets) {
    const key = `${ticket.organisation}\u0000${ticket.severity}`;
    groups.set(key, [...(groups.get(key) ?? []), ticket]);
  }
  const rows = [...groups.values()].map((group): ReportRow => {
    const first = group[0] as ReportTicket;
    let met = 0;
    let breached = 0;
    let pending = 0;
    const minutes: number[] = [];
    for (const ticket of group) {
      if (ticket.firstRespondedAt) minutes.push((ticket.firstRespondedAt.getTime() - ticket.createdAt.getTime()) / 60_000);
      const late = ticket.firstRespondedAt ? ticket.firstRespondedAt > ticket.dueAt : now > ticket.dueAt;
      if (late || ticket.breachRecorded) breached += 1;
      else if (ticket.firstRespondedAt) met += 1;
      else pending += 1;
    }
    minutes.sort((a, b) => a - b);
    const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
    return {
      organisation: first.organisation,
      severity: first.severity,
      tickets: group.length,
      met,
      breached,
      pending,
      medianFirstResponseMinutes: round(percentile(minutes, 50)),
      p90FirstResponseMinutes: round(percentile(minutes, 90)),
    };
  });
  return rows.sort((a, b) => a.organisation.localeCompare(b.organisation) || a.severity.localeCompare(b.severity));
}
