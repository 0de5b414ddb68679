import { describe, expect, it } from 'vitest';
import { stagesOf } from './stage-trace.js';

describe('stagesOf', () => {
  it('splits a traced IMAP arrival into its stages, from the EXISTS to the commit', () => {
    expect(stagesOf({ heardAt: 100, listedAt: 103.25, fetchedAt: 110, parsedAt: 118.04, authenticatedAt: 118.5 }, 130)).toEqual({
      list: 3.3,
      fetch: 6.8,
      parse: 8,
      authenticate: 0.5,
      commit: 11.5,
      total: 30,
      since: 'heardAt',
    });
  });

  it('starts a stage at the latest known moment when one before it is missing', () => {
    // The first pass after connecting heard no EXISTS; an LMTP delivery is never listed.
    expect(stagesOf({ listedAt: 10, fetchedAt: 12, parsedAt: 15 }, 20)).toEqual({ fetch: 2, parse: 3, commit: 5, total: 10, since: 'listedAt' });
    expect(stagesOf({ heardAt: 0, fetchedAt: 4, parsedAt: 9, authenticatedAt: 9 }, 12)).toEqual({ fetch: 4, parse: 5, authenticate: 0, commit: 3, total: 12, since: 'heardAt' });
  });

  it('says nothing for a message that was not traced', () => {
    expect(stagesOf(undefined, 5)).toEqual({});
    expect(stagesOf({}, 5)).toEqual({});
  });
});
