import { domainOf } from '../desk/address.models.js';
import { parseAuthenticationResults } from './authentication-results.models.js';

export type SenderAuthMode = 'authres' | 'verify' | 'off';
/**
 * Whether the From domain is proven, with the evidence in words. `domain`: the domain DMARC passed for (also
 * on a pass for another domain than the From's, which is not authentic); absent with `security.senderAuth:
 * off` or without a pass. identity.models refuses mail whose pass names another domain than its one mailbox.
 */
export type SenderAuthVerdict = { authentic: boolean; reason: string; domain?: string };

/** `ACME.test.` and `acme.test` are one domain. */
export function normalizeDomain(domain: string): string {
  const lower = domain.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * `authres` mode: trust only the Authentication-Results header our own receiving server wrote (the topmost
 * one carrying our authserv-id); every other one may have been written by the sender (RFC 8601 section 7.2).
 * The From domain is authentic only when every dmarc result in that header is `pass` and names the From
 * domain in `header.from`. Two dmarc results that disagree, a pass without `header.from`, a pass for another
 * domain, a malformed header, or no dmarc result at all: not authentic. (DKIM alone is not enough: only
 * DMARC ties a signature to the From domain, with the domain owner's policy and alignment mode.)
 */
export function authresVerdict({ headers, authservId, from }: { headers: string[]; authservId: string; from: string }): SenderAuthVerdict {
  const id = authservId.trim().toLowerCase();
  if (!id) return { authentic: false, reason: 'security.authservId is not set: no Authentication-Results header can be trusted' };
  const ours = headers.map(parseAuthenticationResults).find((parsed) => parsed.authservId === id);
  if (!ours) return { authentic: false, reason: `no Authentication-Results from ${id}` };
  if (!ours.ok) return { authentic: false, reason: `the Authentication-Results of ${id} is malformed: ${ours.error}` };
  const fromDomain = normalizeDomain(domainOf(from));
  const dmarc = ours.results.filter((result) => result.method === 'dmarc');
  if (dmarc.length === 0) return { authentic: false, reason: `no dmarc result from ${id}` };
  const failed = dmarc.find((result) => result.result !== 'pass');
  if (failed) return { authentic: false, reason: `dmarc=${failed.result} (${id}${dmarc.length > 1 ? `, ${dmarc.length} dmarc results` : ''})` };
  const domains = [...new Set(dmarc.map((result) => normalizeDomain(result.props['header.from'] ?? '')))];
  if (domains.includes('')) return { authentic: false, reason: `dmarc=pass without header.from (${id})` };
  if (domains.length !== 1) return { authentic: false, reason: `dmarc=pass for ${domains.join(', ')}: more than one domain (${id})` };
  // A pass for another domain than the From's: identity.models refuses the mail whatever the sender's role.
  if (domains[0] !== fromDomain) return { authentic: false, reason: `dmarc=pass for ${domains[0]}, not the From domain ${fromDomain || '(none)'} (${id})`, domain: domains[0] };
  return { authentic: true, reason: `dmarc=pass header.from=${fromDomain} (${id})`, domain: fromDomain };
}
