import { describe, expect, it } from 'vitest';
import { matchThread, type ThreadCandidate } from './threading.models.js';

const acme: ThreadCandidate = { id: 1, ref: 'CS-1', status: 'open', requesterEmail: 'alice@acme.test', participants: ['bob@acme.test'] };
const acmeOther: ThreadCandidate = { id: 2, ref: 'CS-2', status: 'open', requesterEmail: 'carol@acme.test', participants: [] };
const globex: ThreadCandidate = { id: 3, ref: 'CS-3', status: 'open', requesterEmail: 'gina@globex.test', participants: [] };
const alice = { address: 'alice@acme.test', role: 'customer' as const };

describe('matchThread', () => {
  it('prefers a Message-ID match over a token over the subject ref', () => {
    expect(matchThread({ sender: alice, byMessageId: [acme], byToken: [acmeOther], bySubjectRef: acmeOther })).toEqual({ kind: 'ticket', ticketId: 1, via: 'message-id' });
    expect(matchThread({ sender: alice, byMessageId: [], byToken: [acmeOther], bySubjectRef: acme })).toEqual({ kind: 'ticket', ticketId: 2, via: 'token' });
    expect(matchThread({ sender: alice, byMessageId: [], byToken: [], bySubjectRef: acme })).toEqual({ kind: 'ticket', ticketId: 1, via: 'subject-ref' });
    expect(matchThread({ sender: alice, byMessageId: [], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'new' });
  });

  it("opens a new ticket, noting the ref, when a customer of another organisation uses someone else's ref", () => {
    const gina = { address: 'gina@globex.test', role: 'customer' as const };
    expect(matchThread({ sender: gina, byMessageId: [], byToken: [], bySubjectRef: acme })).toEqual({ kind: 'new', foreignRef: 'CS-1' });
    expect(matchThread({ sender: gina, byMessageId: [acme], byToken: [], bySubjectRef: globex })).toEqual({ kind: 'ticket', ticketId: 3, via: 'subject-ref' });
  });

  it("puts an outsider's mail that answers one of a ticket's messages on that ticket as an outsider, even on a closed one", () => {
    const gina = { address: 'gina@globex.test', role: 'customer' as const };
    expect(matchThread({ sender: gina, byMessageId: [acme], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'ticket', ticketId: 1, via: 'message-id', outsider: true });
    expect(matchThread({ sender: gina, byMessageId: [], byToken: [acme], bySubjectRef: acmeOther })).toEqual({ kind: 'ticket', ticketId: 1, via: 'token', outsider: true });
    expect(matchThread({ sender: gina, byMessageId: [{ ...acme, status: 'closed' }], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'ticket', ticketId: 1, via: 'message-id', outsider: true });
  });

  it('lets a participant of any domain write on the ticket as a customer', () => {
    const contractor = { address: 'carl@partner.example', role: 'customer' as const };
    const withContractor = { ...acme, participants: ['carl@partner.example'] };
    expect(matchThread({ sender: contractor, byMessageId: [withContractor], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'ticket', ticketId: 1, via: 'message-id' });
    expect(matchThread({ sender: contractor, byMessageId: [], byToken: [], bySubjectRef: withContractor })).toEqual({ kind: 'ticket', ticketId: 1, via: 'subject-ref' });
  });

  it('accepts the subject ref from a participant, a colleague of the same organisation and an engineer', () => {
    expect(matchThread({ sender: { address: 'bob@acme.test', role: 'customer' }, byMessageId: [], byToken: [], bySubjectRef: acme }).kind).toBe('ticket');
    expect(matchThread({ sender: { address: 'dave@acme.test', role: 'customer' }, byMessageId: [], byToken: [], bySubjectRef: acme }).kind).toBe('ticket');
    expect(matchThread({ sender: { address: 'eng@cloudsoft.test', role: 'engineer' }, byMessageId: [], byToken: [], bySubjectRef: globex })).toEqual({ kind: 'ticket', ticketId: 3, via: 'subject-ref' });
  });

  it("links a customer's reply to a closed ticket to a new ticket, while an engineer stays on it", () => {
    const closed = { ...acme, status: 'closed' };
    expect(matchThread({ sender: alice, byMessageId: [closed], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'new', linkedTicketId: 1 });
    expect(matchThread({ sender: { address: 'eng@cloudsoft.test', role: 'engineer' }, byMessageId: [closed], byToken: [], bySubjectRef: undefined })).toEqual({ kind: 'ticket', ticketId: 1, via: 'message-id' });
  });
});
