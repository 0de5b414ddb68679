import { domainOf } from '../desk/address.models.js';
import type { InboundMessage } from '../desk/inbound.types.js';

/** Addresses that are machines, never people to Cc: they would answer our replies with more robot mail. */
const ROBOT_LOCAL_PART = /^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)(?:[+.-].*)?$/i;

/**
 * Who becomes a participant of a ticket from one of its customers' mails (authentic mail only: intake
 * quarantines the rest before this). The requester decides who is in the conversation: everyone they put in
 * To or Cc joins, whatever the domain (a contractor at partner.example, a colleague at a sister company).
 * Anyone else's mail only brings in colleagues of the requester's organisation. Never a mailbox of ours
 * (`supportAddress`: one address, or every address of the desk; nor their plus addresses), engineers, the
 * requester, robot addresses, or the mailing list the mail came
 * through (its List-Post address): the list's members follow the thread there, and engineers' replies to
 * a customer are not for a list archive.
 */
export function participantsFrom({
  message,
  requesterEmail,
  supportAddress,
  engineerDomains,
}: {
  message: Pick<InboundMessage, 'from' | 'to' | 'cc'> & { headers?: Map<string, string[]> };
  requesterEmail: string;
  supportAddress: string | string[];
  engineerDomains: string[];
}): string[] {
  const requester = requesterEmail.toLowerCase();
  const fromRequester = message.from?.address.toLowerCase() === requester;
  const organisation = domainOf(requester);
  const addresses = [message.from, ...message.to, ...message.cc].flatMap((entry) => (entry ? [entry.address.toLowerCase()] : []));
  const lists = listPostAddresses(message.headers);
  return [...new Set(addresses)].filter((address) => {
    if (address === requester || !address.includes('@') || isSupportMailbox(address, supportAddress) || lists.has(address)) return false;
    const domain = domainOf(address);
    if (engineerDomains.includes(domain) || ROBOT_LOCAL_PART.test(address.slice(0, address.lastIndexOf('@')))) return false;
    return fromRequester || domain === organisation;
  });
}

/** `List-Post: <mailto:dev@lists.example>` (RFC 2369), lower-cased; bounded, whatever the header holds. */
function listPostAddresses(headers: Map<string, string[]> | undefined): Set<string> {
  const found = new Set<string>();
  for (const value of headers?.get('list-post') ?? []) {
    for (const match of value.slice(0, 2000).matchAll(/<mailto:([^<>?\s]{1,254})/gi)) found.add((match[1] ?? '').toLowerCase());
  }
  return found;
}

/** help@ itself or any `help+anything@` of the same domain; for a list (every mailbox of the desk), any of them. */
export function isSupportMailbox(address: string, supportAddress: string | string[]): boolean {
  const candidate = address.toLowerCase();
  return (typeof supportAddress === 'string' ? [supportAddress] : supportAddress).some((own) => {
    const support = own.toLowerCase();
    const at = support.lastIndexOf('@');
    return candidate === support || (candidate.startsWith(`${support.slice(0, at)}+`) && candidate.endsWith(support.slice(at)));
  });
}
