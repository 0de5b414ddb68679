/** Pure rules of PagerDuty's Events API v2: severity mapping and the documented size limits. */
import type { PagerEvent, PagerSeverity } from './pager.types.js';

/** https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ (summary) and the 512 KB body cap. */
export const PAGERDUTY_LIMITS = { summaryChars: 1024, bodyBytes: 512 * 1024 } as const;

const SEVERITY_BY_SEV = { SEV1: 'critical', SEV2: 'error', SEV3: 'warning', SEV4: 'info' } as const satisfies Record<string, PagerSeverity>;

export function toPagerSeverity(sev: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4'): PagerSeverity {
  return SEVERITY_BY_SEV[sev];
}

const ELLIPSIS = '…';

/**
 * Cuts `text` to at most `maxChars` UTF-16 units (what JavaScript and PagerDuty's JSON both count),
 * ending with an ellipsis so a reader sees it was cut. Never splits a surrogate pair, so an emoji at the
 * cut does not become an invalid character.
 */
export function truncateSummary(text: string, maxChars: number = PAGERDUTY_LIMITS.summaryChars): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/** The event with its summary cut to PagerDuty's limit; PagerDuty would otherwise reject or cut it itself. */
export function fitToPagerDutyLimits(event: PagerEvent): PagerEvent {
  if (!event.payload || event.payload.summary.length <= PAGERDUTY_LIMITS.summaryChars) return event;
  return { ...event, payload: { ...event.payload, summary: truncateSummary(event.payload.summary) } };
}
