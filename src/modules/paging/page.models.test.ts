import { describe, expect, it } from 'vitest';
import { buildTriggerEvent, subjectWithoutSeverity } from './page.models.js';

const base = { routingKey: 'key', source: 'ticketd', requester: { address: 'alice@acme.test', name: 'Alice Martin' }, at: new Date('2026-11-02T09:00:00Z') };

describe('the page summary', () => {
  it('names the severity once, without the one the customer wrote in the subject', () => {
    const event = buildTriggerEvent({ ...base, ticket: { ref: 'CS-1', subject: '[SEV1] Production API returning 500 on every request', severity: 'SEV1', priority: 'Urgent' } });
    expect(event.payload?.summary).toBe('[CS-1] SEV1 Production API returning 500 on every request (from Alice Martin <alice@acme.test>)');
    expect(event.payload?.custom_details).toMatchObject({ subject: '[SEV1] Production API returning 500 on every request', severity: 'SEV1' });
  });

  it('never contradicts the ticket with an older severity from the subject when it was raised', () => {
    const event = buildTriggerEvent({ ...base, reason: 'Severity raised', ticket: { ref: 'CS-7', subject: 'Sev 3: exports are slow', severity: 'SEV1', priority: 'Urgent' } });
    expect(event.payload?.summary).toBe('Severity raised: [CS-7] SEV1 exports are slow (from Alice Martin <alice@acme.test>)');
  });

  it('strips every form the severity parser reads and keeps the rest of the subject', () => {
    expect(subjectWithoutSeverity('Severity 4 - how do we rotate API keys?')).toBe('how do we rotate API keys?');
    expect(subjectWithoutSeverity('Re: SEV2: export fails')).toBe('Re: export fails');
    expect(subjectWithoutSeverity('(sev-1) checkout down')).toBe('checkout down');
    expect(subjectWithoutSeverity('Severity: 2 ticket queue stuck')).toBe('ticket queue stuck');
    expect(subjectWithoutSeverity('SEV12 and ASEV1 are not marks')).toBe('SEV12 and ASEV1 are not marks');
    expect(subjectWithoutSeverity('[SEV1]')).toBe('');
  });

  it('says (no subject) when nothing is left', () => {
    const event = buildTriggerEvent({ ...base, ticket: { ref: 'CS-2', subject: 'SEV1', severity: 'SEV1', priority: 'Urgent' } });
    expect(event.payload?.summary).toBe('[CS-2] SEV1 (no subject) (from Alice Martin <alice@acme.test>)');
  });

  it('takes time linear in the subject, however the customer spaces "sev"', () => {
    // ~40 ms here (2026-12, 2 cores); an unbounded [ \t]* after "sev" takes ~1 s on 20,000 spaces and ~7 s on these.
    const hostile = `${'sev'.padEnd(50_000, ' ')}x ${'sev \t'.repeat(25_000)}`;
    const started = performance.now();
    subjectWithoutSeverity(hostile);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
