import { describe, expect, it } from 'vitest';
import { parseAuthenticationResults } from './authentication-results.models.js';
import { authresVerdict } from './sender-auth.models.js';

const OURS = 'mx.cloudsoft.test';
const verdict = (header: string | string[], from = 'alice@acme.test') => authresVerdict({ headers: Array.isArray(header) ? header : [header], authservId: OURS, from });

describe('Authentication-Results of our own receiving server', () => {
  it('parses authserv-id, methods, results, reasons and properties, ignoring comments', () => {
    expect(parseAuthenticationResults('mx.cloudsoft.test 1; (our MX) spf=pass (sender ok) smtp.mailfrom=acme.test; dkim=pass (2048-bit key; unprotected) header.d=acme.test header.s=s1; dmarc=pass reason="policy ok" (p=REJECT) header.from=acme.test')).toEqual({
      ok: true,
      authservId: 'mx.cloudsoft.test',
      results: [
        { method: 'spf', result: 'pass', reason: undefined, props: { 'smtp.mailfrom': 'acme.test' } },
        { method: 'dkim', result: 'pass', reason: undefined, props: { 'header.d': 'acme.test', 'header.s': 's1' } },
        { method: 'dmarc', result: 'pass', reason: 'policy ok', props: { 'header.from': 'acme.test' } },
      ],
    });
  });

  it('keeps a ";" inside a quoted value or a comment inside its result', () => {
    const parsed = parseAuthenticationResults(`${OURS}; dmarc=fail reason="x; dmarc=pass header.from=acme.test" header.from=acme.test`);
    expect(parsed).toMatchObject({ ok: true, results: [{ method: 'dmarc', result: 'fail', props: { 'header.from': 'acme.test' } }] });
    expect(verdict(`${OURS}; dmarc=fail (nested (comment; dmarc=pass)) header.from=acme.test`)).toMatchObject({ authentic: false, reason: expect.stringMatching(/^dmarc=fail/) });
  });

  it('calls an unterminated quote or comment, or a result that is not key=value, malformed', () => {
    expect(parseAuthenticationResults(`${OURS}; dmarc=pass reason="open header.from=acme.test`)).toMatchObject({ ok: false, authservId: OURS });
    expect(parseAuthenticationResults(`${OURS}; dmarc=pass (open header.from=acme.test`)).toMatchObject({ ok: false });
    expect(parseAuthenticationResults(`${OURS}; dmarc pass header.from=acme.test`)).toMatchObject({ ok: false });
    expect(verdict(`${OURS}; dmarc=pass header.from=acme.test header.from=evil.test`)).toMatchObject({ authentic: false, reason: expect.stringContaining('malformed') });
  });

  it('accepts dmarc=pass for the From domain from our authserv-id, and names the domain it passed for', () => {
    expect(verdict(`${OURS}; dmarc=pass header.from=ACME.test`)).toEqual({ authentic: true, reason: `dmarc=pass header.from=acme.test (${OURS})`, domain: 'acme.test' });
  });

  it('ignores a forged header with a foreign authserv-id even when it claims dmarc=pass', () => {
    expect(verdict('mx.attacker.test; dmarc=pass header.from=acme.test')).toEqual({ authentic: false, reason: `no Authentication-Results from ${OURS}` });
  });

  it('trusts only the topmost header with our authserv-id: a forged copy further down loses', () => {
    expect(verdict([`${OURS}; dmarc=fail header.from=acme.test`, `${OURS}; dmarc=pass header.from=acme.test`])).toMatchObject({ authentic: false, reason: `dmarc=fail (${OURS})` });
  });

  it('considers every dmarc result: one fail or none among passes is not a pass, whichever comes first', () => {
    expect(verdict(`${OURS}; dmarc=pass header.from=acme.test; dmarc=fail header.from=acme.test`)).toMatchObject({ authentic: false, reason: expect.stringMatching(/^dmarc=fail .*2 dmarc results/) });
    expect(verdict(`${OURS}; dmarc=none header.from=acme.test; dmarc=pass header.from=acme.test`)).toMatchObject({ authentic: false });
    expect(verdict(`${OURS}; dmarc=pass header.from=evil.test; dmarc=pass header.from=acme.test`)).toMatchObject({ authentic: false, reason: expect.stringContaining('more than one domain') });
  });

  it('rejects dmarc=pass without header.from, or for another domain than the From domain', () => {
    expect(verdict(`${OURS}; dmarc=pass`)).toMatchObject({ authentic: false, reason: `dmarc=pass without header.from (${OURS})` });
    expect(verdict(`${OURS}; dmarc=pass header.from=evil.test`).authentic).toBe(false);
    expect(verdict(`${OURS}; dmarc=pass header.from=mail.acme.test`).authentic).toBe(false);
  });

  it('takes no DKIM or SPF pass for a proof of the From: only DMARC ties them to it', () => {
    expect(verdict(`${OURS}; dkim=pass header.d=acme.test; spf=pass smtp.mailfrom=acme.test`)).toMatchObject({ authentic: false, reason: `no dmarc result from ${OURS}` });
  });

  it('trusts nothing when no authserv-id is configured', () => {
    expect(authresVerdict({ headers: [`${OURS}; dmarc=pass header.from=acme.test`], authservId: '', from: 'alice@acme.test' }).authentic).toBe(false);
  });
});
