import { describe, expect, it } from 'vitest';
import { DEFAULT_SEVERITY, priorityOf, readSeverity, severityMeaning } from './severity.models.js';

describe('readSeverity', () => {
  it.each([
    ['[SEV1] Database down in eu-west', 'SEV1'],
    ['[SEV1]Database down', 'SEV1'],
    ['SEV1: production cluster unreachable', 'SEV1'],
    ['URGENT!!! SEV1!!! checkout broken', 'SEV1'],
    ['(SEV2) payments delayed by 20 minutes', 'SEV2'],
    ['Sev 2 - login is slow for some users', 'SEV2'],
    ['sev-3 question about the export API', 'SEV3'],
    ['SEV 4: typo in the admin docs', 'SEV4'],
    ['Severity 1: total outage since 03:00 UTC', 'SEV1'],
    ['Severity: 2 - reports fail intermittently', 'SEV2'],
    ['Severity-4 cosmetic issue in the dashboard', 'SEV4'],
    ['RE: [SEV2] Replication lag on node 3', 'SEV2'],
    ['Fwd: sev1 - staging AND prod down', 'SEV1'],
    ['Outage (severity=1) on the EU cluster', 'SEV1'],
    ['Sev#2 after the upgrade', 'SEV2'],
  ])('reads %j as %s', (subject, expected) => {
    expect(readSeverity({ subject, text: '' })).toBe(expected);
  });

  it.each([
    'SEV12 rollout notes',
    'SEV5 is not a level we use',
    'SEV0 drill next week',
    'Seven servers are down',
    'Several issues after the upgrade',
    'Severe slowdown on the API',
    'What is the severity of this?',
    'S1 outage in the datacenter',
    'P1 incident: database',
    'Level 1 support request',
    'ASEV1 is our product code',
    'SEV1x build failed',
    'Question about sev',
  ])('does not read a severity in %j', (subject) => {
    expect(readSeverity({ subject, text: '' })).toBeUndefined();
  });

  it('takes the first severity of the subject when it names several', () => {
    expect(readSeverity({ subject: 'SEV2 (was SEV1) login errors', text: '' })).toBe('SEV2');
  });

  it('prefers the subject over the body', () => {
    expect(readSeverity({ subject: '[SEV3] slow reports', text: 'Severity: 1\nEverything is broken' })).toBe('SEV3');
  });

  it('reads the severity from the first lines of the body when the subject has none', () => {
    const text = 'Hello support,\r\n\r\nSeverity: 2\r\nOur nightly import fails since Monday.';
    expect(readSeverity({ subject: 'Import problem', text })).toBe('SEV2');
  });

  it('ignores a severity below the first five non-empty lines of the body', () => {
    const text = ['Hi,', '', 'line two', 'line three', 'line four', 'line five', 'This is SEV1 for us.'].join('\n');
    expect(readSeverity({ subject: 'Question', text })).toBeUndefined();
  });

  it('does not count blank lines towards the five body lines', () => {
    const text = ['Hi,', '', '', '', '', '', 'line two', 'line three', 'line four', 'SEV1 please'].join('\n');
    expect(readSeverity({ subject: 'Question', text })).toBe('SEV1');
  });

  it('ignores a quoted old severity in the body', () => {
    const text = 'Thanks, it works again.\n> [SEV1] Database down\n> Please help';
    expect(readSeverity({ subject: 'Re: your ticket', text })).toBeUndefined();
  });

  it('returns undefined for an empty subject and body', () => {
    expect(readSeverity({ subject: '', text: '' })).toBeUndefined();
  });
});

describe('priorityOf and severityMeaning', () => {
  it('maps every severity to its priority', () => {
    expect([priorityOf('SEV1'), priorityOf('SEV2'), priorityOf('SEV3'), priorityOf('SEV4')]).toEqual([
      'Urgent',
      'High',
      'Normal',
      'Low',
    ]);
  });

  it('explains every severity in the words of the support policy', () => {
    expect(severityMeaning('SEV1')).toBe('production unusable');
    expect(severityMeaning('SEV2')).toBe('production usable but severely compromised');
    expect(severityMeaning('SEV3')).toBe('production running with some impact, or development unusable');
    expect(severityMeaning('SEV4')).toBe('no production impact');
  });

  it('defaults to SEV3, a normal priority', () => {
    expect(DEFAULT_SEVERITY).toBe('SEV3');
    expect(priorityOf(DEFAULT_SEVERITY)).toBe('Normal');
  });
});

describe('readSeverity on hostile text', () => {
  it('answers in milliseconds for "sev" followed by a megabyte of spaces, in the subject or the body', () => {
    const spaces = ' '.repeat(1_000_000);
    const started = performance.now();
    expect(readSeverity({ subject: `sev${spaces}x`, text: `sev${spaces}1` })).toBeUndefined();
    expect(readSeverity({ subject: 'hello', text: `${'sev '.repeat(250_000)}` })).toBeUndefined();
    expect(readSeverity({ subject: `${'\n'.repeat(1_000_000)}`, text: `${'\r\n'.repeat(1_000_000)}SEV1` })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('still reads a keyword with a few blanks around the separator, and not one glued to a letter outside the BMP', () => {
    expect(readSeverity({ subject: 'Severity  :  1 outage', text: '' })).toBe('SEV1');
    expect(readSeverity({ subject: '\u{1D400}sev1 build', text: '' })).toBeUndefined();
  });
});
