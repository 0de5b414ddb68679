import { domainOf } from '../desk/address.models.js';

export type SenderRole = 'customer' | 'engineer' | 'own' | 'unknown';

/**
 * Who wrote this mail, by the From address alone (authenticity is checked separately): one of our own
 * addresses (`ownAddresses`, every mailbox's: a loop), an engineer (a company domain), a customer (an
 * approved customer domain) or unknown.
 * Subdomains do not count: `evil.example.com` is not `example.com`.
 */
export function senderRoleOf({
  from,
  ownAddresses,
  customerDomains,
  engineerDomains,
}: {
  from: string | undefined;
  ownAddresses: string[];
  customerDomains: string[];
  engineerDomains: string[];
}): SenderRole {
  if (!from) return 'unknown';
  const address = from.toLowerCase();
  if (ownAddresses.some((own) => own.toLowerCase() === address)) return 'own';
  const domain = domainOf(address);
  if (engineerDomains.includes(domain)) return 'engineer';
  if (customerDomains.includes(domain)) return 'customer';
  return 'unknown';
}
