import { describe, expect, it } from 'vitest';
import { refInSubject, refInSubjectOf } from './ticket.models.js';

describe('refInSubjectOf (a desk with several ticket prefixes)', () => {
  const prefixes = ['CS', 'BILL'];

  it('finds a ref of any prefix, in the prefix\'s own spelling', () => {
    expect(refInSubjectOf({ subject: 'Re: [BILL-12] Invoice twice', prefixes })).toBe('BILL-12');
    expect(refInSubjectOf({ subject: 'Re: [cs-7]Printer', prefixes })).toBe('CS-7');
    expect(refInSubjectOf({ subject: 'AW: bill-3 still open', prefixes })).toBe('BILL-3');
  });

  it('takes the first prefix that is found, in the order given', () => {
    expect(refInSubjectOf({ subject: 'Re: [BILL-3] was CS-2', prefixes })).toBe('CS-2');
    expect(refInSubjectOf({ subject: 'Re: [BILL-3] was CS-2', prefixes: ['BILL', 'CS'] })).toBe('BILL-3');
  });

  it('confuses no prefix with a longer word or another prefix ending in it', () => {
    expect(refInSubjectOf({ subject: 'Re: XBILL-12 and ACS-4', prefixes })).toBeUndefined();
    expect(refInSubjectOf({ subject: 'Re: [SUBILL-1]', prefixes: ['BILL'] })).toBeUndefined();
    expect(refInSubjectOf({ subject: 'no ref here', prefixes })).toBeUndefined();
    expect(refInSubjectOf({ subject: 'Re: [BILL-1]', prefixes: [] })).toBeUndefined();
  });

  it('says for one prefix what refInSubject says', () => {
    for (const subject of ['Re: [CS-12] x', 'CS-123', 'XCS-1', 'Re: [CS-12]Extra']) expect(refInSubjectOf({ subject, prefixes: ['CS'] })).toBe(refInSubject({ subject, prefix: 'CS' }));
  });
});
