import { describe, expect, it } from 'vitest';
import { authresVerdict, parseAuthenticationResults } from './sender-auth.models.js';

const OURS = 'mx.cloudsoft.test';

describe('Authentication-Results of our own receiving server', () => {
  it('parses authserv-id, methods, results and properties, ignoring comments', () => {
    expect(parseAuthenticationResults('mx.cloudsoft.test 1; (our MX) spf=pass (sender ok) smtp.mailfrom=acme.test; dkim=pass header.d=acme.test header.s=s1; dmarc=pass (p=REJECT) header.from=acme.test')).toEqual({
      authservId: 'mx.cloudsoft.test',
      results: [
        { method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'acme.test' } },
        { method: 'dkim', result: 'pass', props: { 'header.d': 'acme.test', 'header.s': 's1' } },
        { method: 'dmarc', result: 'pass', props: { 'header.from': 'acme.test' } },
      ],
    });
  });

  it('accepts dmarc=pass for the From domain from our authserv-id', () => {
    expect(authresVerdict({ headers: [`${OURS}; dmarc=pass header.from=acme.test`], authservId: OURS, from: 'alice@acme.test' })).toMatchObject({ authentic: true });
  });

  it('ignores a forged header with a foreign authserv-id even when it claims dmarc=pass', () => {
    const verdict = authresVerdict({ headers: ['mx.attacker.test; dmarc=pass header.from=acme.test'], authservId: OURS, from: 'alice@acme.test' });
    expect(verdict).toEqual({ authentic: false, reason: `no Authentication-Results from ${OURS}` });
  });

  it('trusts only the topmost header with our authserv-id: a forged copy further down loses', () => {
    const verdict = authresVerdict({ headers: [`${OURS}; dmarc=fail header.from=acme.test`, `${OURS}; dmarc=pass header.from=acme.test`], authservId: OURS, from: 'alice@acme.test' });
    expect(verdict).toMatchObject({ authentic: false, reason: `dmarc=fail (${OURS})` });
  });

  it('rejects dmarc=pass for another domain than the From domain', () => {
    expect(authresVerdict({ headers: [`${OURS}; dmarc=pass header.from=evil.test`], authservId: OURS, from: 'alice@acme.test' }).authentic).toBe(false);
  });

  it('without a DMARC result accepts only an aligned DKIM pass', () => {
    expect(authresVerdict({ headers: [`${OURS}; dkim=pass header.d=mail.acme.test`], authservId: OURS, from: 'alice@acme.test' }).authentic).toBe(true);
    expect(authresVerdict({ headers: [`${OURS}; dkim=pass header.d=bulkmailer.test; spf=pass smtp.mailfrom=bulkmailer.test`], authservId: OURS, from: 'alice@acme.test' }).authentic).toBe(false);
  });

  it('trusts nothing when no authserv-id is configured', () => {
    expect(authresVerdict({ headers: [`${OURS}; dmarc=pass header.from=acme.test`], authservId: '', from: 'alice@acme.test' }).authentic).toBe(false);
  });
});
