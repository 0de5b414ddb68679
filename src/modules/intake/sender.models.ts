import { domainOf } from '../desk/address.models.js';

export type SenderRole = 'customer' | 'engineer' | 'own' | 'unknown';

/**
 * Who wrote this mail, by the From address alone (authenticity is checked separately): our own support
 * address (a loop), an engineer (a company domain), a customer (an approved customer domain) or unknown.
 * Subdomains do not count: `evil.example.com` is not `example.com`.
 */
export function senderRoleOf({
  from,
  supportAddress,
  customerDomains,
  engineerDomains,
}: {
  from: string | undefined;
  supportAddress: string;
  customerDomains: string[];
  engineerDomains: string[];
}): SenderRole {
  if (!from) return 'unknown';
  const address = from.toLowerCase();
  if (address === supportAddress.toLowerCase()) return 'own';
  const domain = domainOf(address);
  if (engineerDomains.includes(domain)) return 'engineer';
  if (customerDomains.includes(domain)) return 'customer';
  return 'unknown';
}
