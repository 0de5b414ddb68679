import { describe, expect, it } from 'vitest';
import type { PagerEvent } from './pager.types.js';
import { fitToPagerDutyLimits, PAGERDUTY_LIMITS, toPagerSeverity, truncateSummary } from './pagerduty.models.js';

describe('toPagerSeverity', () => {
  it('maps SEV1 to critical, SEV2 to error, SEV3 to warning and SEV4 to info', () => {
    expect(['SEV1', 'SEV2', 'SEV3', 'SEV4'].map((sev) => toPagerSeverity(sev as 'SEV1'))).toEqual(['critical', 'error', 'warning', 'info']);
  });
});

describe('truncateSummary', () => {
  it('leaves a summary within the limit untouched', () => {
    const summary = 'x'.repeat(PAGERDUTY_LIMITS.summaryChars);
    expect(truncateSummary(summary)).toBe(summary);
  });

  it('cuts a long summary to exactly 1024 characters ending with an ellipsis', () => {
    const cut = truncateSummary('a'.repeat(5000));
    expect(cut).toHaveLength(1024);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.slice(0, -1)).toBe('a'.repeat(1023));
  });

  it('does not split an emoji that straddles the cut', () => {
    // 1022 letters, then a two-unit emoji at positions 1022-1023: keeping 1023 units would halve it.
    const cut = truncateSummary('a'.repeat(1022) + '🔥' + 'b'.repeat(10));
    expect(cut).toBe('a'.repeat(1022) + '…');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('fitToPagerDutyLimits', () => {
  const event: PagerEvent = {
    routing_key: 'key',
    event_action: 'trigger',
    dedup_key: 'T-1',
    payload: { summary: 's'.repeat(2000), source: 'ticketd', severity: 'critical', custom_details: { ref: 'T-1' } },
  };

  it('truncates the summary and keeps every other field', () => {
    const fitted = fitToPagerDutyLimits(event);
    expect(fitted.payload?.summary).toHaveLength(1024);
    expect({ ...fitted, payload: { ...fitted.payload, summary: '' } }).toEqual({ ...event, payload: { ...event.payload, summary: '' } });
    expect(event.payload?.summary).toHaveLength(2000);
  });

  it('returns an acknowledge without payload as it is', () => {
    const ack: PagerEvent = { routing_key: 'key', event_action: 'acknowledge', dedup_key: 'T-1' };
    expect(fitToPagerDutyLimits(ack)).toBe(ack);
  });
});
