import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, isBusinessTime, nextBusinessStart, zonedTime, type BusinessCalendar } from './business-hours.models.js';
import { DEFAULT_PAGING_POLICY, decidePage } from '../paging/paging-policy.models.js';

const berlin: BusinessCalendar = { timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00', holidays: ['2026-12-24', '2026-12-25'] };
const at = (iso: string) => new Date(iso);

describe('business hours in Europe/Berlin', () => {
  it('counts a Wednesday 10:00 local (09:00Z in winter) as business time and 17:00 local as after hours', () => {
    expect(isBusinessTime(at('2026-11-25T09:00:00Z'), berlin)).toBe(true);
    expect(isBusinessTime(at('2026-11-25T16:00:00Z'), berlin)).toBe(false);
    expect(isBusinessTime(at('2026-11-25T07:59:59Z'), berlin)).toBe(false);
  });

  it('moves a Wednesday evening page to Thursday 09:00 local', () => {
    expect(nextBusinessStart(at('2026-11-25T19:30:00Z'), berlin).toISOString()).toBe('2026-11-26T08:00:00.000Z');
  });

  it('moves a Saturday page to Monday 09:00 local', () => {
    expect(nextBusinessStart(at('2026-11-28T12:00:00Z'), berlin).toISOString()).toBe('2026-11-30T08:00:00.000Z');
  });

  it('skips holidays: a page on the evening of 23 December waits until Monday 28 December', () => {
    // 24 (Thu) and 25 (Fri) are holidays, 26-27 the weekend.
    expect(nextBusinessStart(at('2026-12-23T18:00:00Z'), berlin).toISOString()).toBe('2026-12-28T08:00:00.000Z');
  });

  it('follows the switch to summer time: after the last Sunday of March, 09:00 local is 07:00Z', () => {
    // Friday 27 March 2026 is still winter time (UTC+1), Monday 30 March is summer time (UTC+2).
    expect(nextBusinessStart(at('2026-03-27T06:00:00Z'), berlin).toISOString()).toBe('2026-03-27T08:00:00.000Z');
    expect(nextBusinessStart(at('2026-03-27T17:00:00Z'), berlin).toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(isBusinessTime(at('2026-03-30T07:30:00Z'), berlin)).toBe(true);
  });

  it('follows the switch back to winter time: after the last Sunday of October, 09:00 local is 08:00Z again', () => {
    expect(nextBusinessStart(at('2026-10-23T16:00:00Z'), berlin).toISOString()).toBe('2026-10-26T08:00:00.000Z');
    expect(isBusinessTime(at('2026-10-26T07:30:00Z'), berlin)).toBe(false);
  });

  it('maps wall-clock times in the spring gap forward and the autumn overlap to the first occurrence', () => {
    expect(zonedTime({ year: 2026, month: 3, day: 29 }, 150, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedTime({ year: 2026, month: 10, day: 25 }, 150, 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });

  it('adds business minutes across the night and the weekend, across a DST switch', () => {
    // Friday 16:00 local (UTC+1) + 8 business hours = 1 h on Friday + 7 h on Monday = Monday 16:00 local (UTC+2).
    expect(addBusinessMinutes(at('2026-03-27T15:00:00Z'), 8 * 60, berlin).toISOString()).toBe('2026-03-30T14:00:00.000Z');
    // Started before hours: counting begins at 09:00.
    expect(addBusinessMinutes(at('2026-11-25T05:00:00Z'), 30, berlin).toISOString()).toBe('2026-11-25T08:30:00.000Z');
  });
});

describe('paging policy', () => {
  const saturday = at('2026-11-28T12:00:00Z');
  const wednesday = at('2026-11-25T10:00:00Z');

  it('pages a SEV1 and a SEV2 at once on a Saturday (24x7 by default)', () => {
    for (const severity of ['SEV1', 'SEV2'] as const) {
      expect(decidePage({ severity, at: saturday, policy: DEFAULT_PAGING_POLICY, calendar: berlin })).toEqual({ page: true, at: saturday, deferred: false });
    }
  });

  it('defers a SEV3 raised on a Saturday to Monday 09:00 local and pages it at once on a Wednesday morning', () => {
    expect(decidePage({ severity: 'SEV3', at: saturday, policy: DEFAULT_PAGING_POLICY, calendar: berlin })).toEqual({ page: true, at: at('2026-11-30T08:00:00Z'), deferred: true });
    expect(decidePage({ severity: 'SEV4', at: wednesday, policy: DEFAULT_PAGING_POLICY, calendar: berlin })).toEqual({ page: true, at: wednesday, deferred: false });
  });

  it('never pages a severity whose policy is never', () => {
    expect(decidePage({ severity: 'SEV4', at: wednesday, policy: { ...DEFAULT_PAGING_POLICY, SEV4: 'never' }, calendar: berlin })).toMatchObject({ page: false });
  });
});
