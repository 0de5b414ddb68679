import { parse } from 'tldts';
/** An email address as ticketd keeps it: lower-cased; its domain is the customer's organisation. */

/** The domain of an address, lower-cased; '' without an @. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/** The organisation of a ticket, for SLA and routing: the requester's domain (until organisations exist). */
export function organisationOf(requesterEmail: string): string {
  return domainOf(requesterEmail);
}

/**
 * True for a public suffix (`co.uk`, `com`, `github.io`): a domain under which anyone can register names, so
 * approving it as a customer domain would let strangers sign up. The Public Suffix List comes with tldts (the
 * list is compiled into the package: nothing is fetched). Private suffixes count too (`github.io`, hosting
 * providers), while a name below one (`acme.github.io`) is an ordinary domain. Unknown top-level domains
 * (`.test`) follow the list's default rule: `test` is a suffix, `acme.test` is not.
 */
export function isPublicSuffix(domain: string): boolean {
  const parsed = parse(domain.toLowerCase(), { allowPrivateDomains: true });
  return parsed.isIp === true || parsed.domain === null || parsed.publicSuffix === domain.toLowerCase();
}
