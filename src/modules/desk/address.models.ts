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
