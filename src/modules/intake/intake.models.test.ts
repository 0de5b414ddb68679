import { describe, expect, it } from 'vitest';
import { decideIntake } from './intake.models.js';

const ordinary = { kind: 'ordinary' as const, reason: 'no sign of automatic mail' };
const onTicket = { kind: 'ticket' as const, ticketId: 7, via: 'message-id' as const };
const base = { kind: ordinary, isDuplicate: false, duplicateOfTicketId: undefined, noAutoReplyReason: undefined };

describe('decideIntake for mail from outside the organisations', () => {
  it('stores an authentic outsider answering a ticket as an internal reply, and quarantines a forged one', () => {
    expect(decideIntake({ ...base, senderRole: 'unknown', thread: { ...onTicket, outsider: true } })).toEqual({ outcome: 'reply', reason: 'outside-organisation: in-reply-to', ticketId: 7, internal: true });
    expect(decideIntake({ ...base, senderRole: 'unknown', thread: { ...onTicket, outsider: true }, authenticity: { authentic: false, reason: 'dmarc=fail' } })).toEqual({ outcome: 'quarantined', reason: 'sender-not-authenticated: dmarc=fail' });
    expect(decideIntake({ ...base, senderRole: 'customer', thread: { ...onTicket, outsider: true }, registration: 'unregistered' })).toMatchObject({ outcome: 'reply', internal: true });
  });

  it('lets a participant of an unapproved domain reply, and refuses that sender anything that is not on a ticket', () => {
    expect(decideIntake({ ...base, senderRole: 'unknown', thread: onTicket })).toEqual({ outcome: 'reply', reason: 'in-reply-to', ticketId: 7 });
    expect(decideIntake({ ...base, senderRole: 'unknown', thread: { kind: 'new', foreignRef: 'CS-7' } })).toEqual({ outcome: 'quarantined', reason: 'sender-not-approved', notify: 'not-approved' });
  });
});
