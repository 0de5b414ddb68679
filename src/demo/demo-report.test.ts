import { describe, expect, it } from 'vitest';
import { describeArrival, kindOfSentMail, productionDifferences } from './demo-report.js';

const defaults = { support: { requireRegistration: true }, security: { senderAuth: 'authres' }, paging: { policy: { SEV1: 'always', SEV2: 'always', SEV3: 'business-hours', SEV4: 'business-hours' } } };

describe('what the demo says about each mail', () => {
  it('gives each delivered mail its outcome, its ticket and why', () => {
    expect(describeArrival('01-sev1-outage.eml', { outcome: 'ticket', reason: 'new', ticket: { ref: 'CS-1', severity: 'SEV1', priority: 'Urgent' } })).toBe(
      '01-sev1-outage.eml -> ticket CS-1 (SEV1 / Urgent): a new ticket from an approved customer domain, confirmed to the sender, on-call paged',
    );
    expect(describeArrival('05-unknown-sender.eml', { outcome: 'quarantined', reason: 'sender-not-approved' })).toMatch(/^05-unknown-sender\.eml -> quarantined: refused: /);
    expect(describeArrival('reply', { outcome: 'reply', reason: 'in-reply-to', ticket: { ref: 'CS-1', severity: 'SEV1', priority: 'Urgent' } })).toBe('reply -> reply on CS-1: added to its ticket: it answers a mail of that ticket (In-Reply-To)');
    expect(describeArrival('x.eml', { outcome: 'quarantined', reason: 'flood-guard: too many' })).toBe('x.eml -> quarantined: flood-guard: too many');
  });

  it('files the refusal to an unapproved sender apart from confirmations and replies', () => {
    expect(kindOfSentMail('not-approved:5')).toBe('refusal');
    expect(kindOfSentMail('confirmation:1')).toBe('confirmation');
    expect(kindOfSentMail('relay:8')).toBe('reply');
    expect(kindOfSentMail('registration-link:3')).toBe('registration');
    expect(kindOfSentMail(undefined)).toBe('other');
  });

  it('names every production default the demo changed and what production does instead', () => {
    const demo = { support: { requireRegistration: false }, security: { senderAuth: 'off' }, paging: { policy: { SEV1: 'always', SEV2: 'always', SEV3: 'always', SEV4: 'always' } } };
    const lines = productionDifferences({ demo, defaults });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^support\.requireRegistration: false here \(default true\).*is held \(ticketd held list\)/);
    expect(lines[1]).toMatch(/^security\.senderAuth: off here \(default authres\).*DMARC passed/);
    expect(lines[2]).toMatch(/^paging\.policy: .*SEV3\/SEV4 ticket raised outside business hours/);
    expect(productionDifferences({ demo: defaults, defaults })).toEqual([]);
  });
});
