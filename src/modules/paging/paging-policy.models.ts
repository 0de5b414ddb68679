import type { Severity } from '../desk/severity.models.js';
import { nextBusinessStart, type BusinessCalendar } from '../desk/business-hours.models.js';

export type PageRule = 'always' | 'business-hours' | 'never';
export type PagingPolicy = Record<Severity, PageRule>;

export const DEFAULT_PAGING_POLICY: PagingPolicy = { SEV1: 'always', SEV2: 'always', SEV3: 'business-hours', SEV4: 'business-hours' };

export type PageDecision = { page: false; reason: string } | { page: true; at: Date; deferred: boolean };

/**
 * Whether and when a ticket of this severity pages: `always` now; `business-hours` now when in business hours,
 * else at the next business-hours start (the outbox row waits with that `nextAttemptAt`); `never` not at all
 * (the ticket and the confirmation still happen).
 */
export function decidePage({ severity, at, policy, calendar }: { severity: Severity; at: Date; policy: PagingPolicy; calendar: BusinessCalendar }): PageDecision {
  const rule = policy[severity];
  if (rule === 'never') return { page: false, reason: `paging.policy.${severity} is never` };
  if (rule === 'always') return { page: true, at, deferred: false };
  const when = nextBusinessStart(at, calendar);
  return { page: true, at: when, deferred: when.getTime() !== at.getTime() };
}
