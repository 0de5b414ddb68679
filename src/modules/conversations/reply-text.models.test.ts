import { describe, expect, it } from 'vitest';
import { newTextOf } from './reply-text.models.js';

describe('newTextOf on constructed bodies', () => {
  it('cuts at an "-----Original Message-----" line', () => {
    const body = 'Still broken after the restart.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\nSEV1 resolved';
    expect(newTextOf(body)).toBe('Still broken after the restart.');
  });

  it('keeps a "From:" line in prose that no Sent: or Date: line follows', () => {
    const body = 'The alert came\nFrom: our monitoring system\nand then stopped.';
    expect(newTextOf(body)).toBe(body);
  });

  it('cuts at German "Am ... schrieb ...:" and Spanish "El ... escribió:" above unquoted history', () => {
    expect(newTextOf('Immer noch kaputt.\n\nAm 25.11.2026 um 09:00 schrieb Alice <alice@acme.test>:\nSEV1 alles down')).toBe('Immer noch kaputt.');
    expect(newTextOf('Sigue fallando.\n\nEl mié, 25 nov 2026 a las 9:00, Alice (<alice@acme.test>) escribió:\n> SEV1')).toBe('Sigue fallando.');
  });

  it('does not take prose ending in "wrote:" for an attribution', () => {
    const body = 'Here is what I wrote:\nthe job stopped.';
    expect(newTextOf(body)).toBe(body);
  });

  it('returns an empty string for a reply that only quotes', () => {
    expect(newTextOf('> just the quote\n> nothing else\n')).toBe('');
    expect(newTextOf('')).toBe('');
  });
});
