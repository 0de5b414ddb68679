import { describe, expect, it } from 'vitest';
import { isDueForAutoClose, nextStatus, severityChange } from './lifecycle.models.js';
import type { TicketStatus } from '../desk/ticket.models.js';

describe('ticket lifecycle', () => {
  it('moves new to open on the first engineer reply and leaves other states alone', () => {
    expect(nextStatus('new', { kind: 'engineer-reply' })).toBe('open');
    for (const status of ['open', 'pending', 'resolved', 'closed'] as TicketStatus[]) expect(nextStatus(status, { kind: 'engineer-reply' })).toBe(status);
  });

  it('reopens a pending or resolved ticket on a customer reply, never a new or open one', () => {
    expect(nextStatus('pending', { kind: 'customer-reply' })).toBe('open');
    expect(nextStatus('resolved', { kind: 'customer-reply' })).toBe('open');
    expect(nextStatus('new', { kind: 'customer-reply' })).toBe('new');
    expect(nextStatus('open', { kind: 'customer-reply' })).toBe('open');
  });

  it("follows engineers' commands from any state", () => {
    expect(nextStatus('open', { kind: 'pending' })).toBe('pending');
    expect(nextStatus('pending', { kind: 'resolve' })).toBe('resolved');
    expect(nextStatus('resolved', { kind: 'close' })).toBe('closed');
  });

  it('auto-closes only resolved tickets, only once autoCloseDays have passed', () => {
    const resolvedAt = new Date('2026-11-01T00:00:00Z');
    const day = 86_400_000;
    expect(isDueForAutoClose({ status: 'resolved', resolvedAt, now: new Date(resolvedAt.getTime() + 7 * day - 1), autoCloseDays: 7 })).toBe(false);
    expect(isDueForAutoClose({ status: 'resolved', resolvedAt, now: new Date(resolvedAt.getTime() + 7 * day), autoCloseDays: 7 })).toBe(true);
    expect(isDueForAutoClose({ status: 'open', resolvedAt, now: new Date(resolvedAt.getTime() + 30 * day), autoCloseDays: 7 })).toBe(false);
    expect(nextStatus('open', { kind: 'auto-close' })).toBe('open');
    expect(nextStatus('resolved', { kind: 'auto-close' })).toBe('closed');
  });

  it('lets a customer raise the severity but not lower it; engineers do both', () => {
    expect(severityChange({ current: 'SEV3', requested: 'SEV1', by: 'customer' })).toEqual({ severity: 'SEV1', raised: true });
    expect(severityChange({ current: 'SEV1', requested: 'SEV3', by: 'customer' })).toBeUndefined();
    expect(severityChange({ current: 'SEV1', requested: 'SEV3', by: 'engineer' })).toEqual({ severity: 'SEV3', raised: false });
    expect(severityChange({ current: 'SEV2', requested: 'SEV2', by: 'engineer' })).toBeUndefined();
    expect(severityChange({ current: 'SEV2', requested: undefined, by: 'customer' })).toBeUndefined();
  });
});
