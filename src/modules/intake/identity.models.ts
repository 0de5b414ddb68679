import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../desk/inbound.types.js';
import { domainOf } from '../desk/address.models.js';
import { normalizeDomain, type SenderAuthVerdict } from './sender-auth.models.js';

/**
 * Who a mail is filed under. The From header may hold a group (`Acme: alice@acme.test;, x@evil.test`) or
 * several mailboxes, and a DMARC verifier may evaluate another one than the address an application files
 * the mail under (mailauth skips group members, mailparser reports the first address of a group). So the
 * identity is exactly one mailbox, in the one From header, and, when senders are authenticated, its domain
 * must be the domain DMARC passed for. Anything else is `refused` and quarantined as
 * `sender-not-authenticated` whatever the sender's role.
 */
export type MailboxCheck = { ok: true } | { ok: false; reason: string };
export type Identity =
  | { status: 'authenticated' | 'unauthenticated'; reason: string }
  /** Not one clear mailbox, or a pass for another domain: nobody may be named as its sender. */
  | { status: 'refused'; reason: string };

const MAX_FROM_CHARS = 2_000;

/**
 * The structure of the From header alone (no DNS): exactly one header, one mailbox, no group, an address
 * with one `@`, and the same address mailparser read (two parsers that disagree on the sender mean the
 * header is ambiguous). No From at all is not refused here: such mail has no sender to file it under and is
 * handled as mail from nobody (automatic, or unknown).
 */
export function checkFromMailbox({ fromHeaders, parsedFrom }: { fromHeaders: string[]; parsedFrom: Address | undefined }): MailboxCheck {
  if (fromHeaders.length === 0) return { ok: true };
  if (fromHeaders.length > 1) return { ok: false, reason: `${fromHeaders.length} From headers` };
  const raw = fromHeaders[0] ?? '';
  if (raw.length > MAX_FROM_CHARS) return { ok: false, reason: `a From header of ${raw.length} characters` };
  const entries = addressparser(raw);
  const groups = entries.filter((entry) => 'group' in entry);
  if (groups.length > 0) return { ok: false, reason: 'the From header holds a group' };
  const mailboxes = entries.filter((entry): entry is addressparser.Address => 'address' in entry && entry.address !== '');
  if (mailboxes.length !== 1 || entries.length !== 1) return { ok: false, reason: `the From header holds ${mailboxes.length} mailboxes` };
  const address = (mailboxes[0]?.address ?? '').trim().toLowerCase();
  if (!isPlainAddress(address)) return { ok: false, reason: 'the From address is not one local@domain' };
  if (parsedFrom?.address !== address) return { ok: false, reason: 'the From header reads differently to different parsers' };
  return { ok: true };
}

function isPlainAddress(address: string): boolean {
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@') || at === address.length - 1) return false;
  // No blanks, controls, brackets or commas: each would let one reader see another address than the next.
  for (const char of address) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f || '<>,;:"()[]\\'.includes(char)) return false;
  }
  return true;
}

/**
 * The identity, from the mailbox check and the authentication verdict. A pass counts only for the domain
 * of the From mailbox (the verdict names the domain it passed for; `off` mode names none and trusts From).
 */
export function identityOf({ mailbox, verdict, from }: { mailbox: MailboxCheck; verdict: SenderAuthVerdict; from: Address | undefined }): Identity {
  if (!mailbox.ok) return { status: 'refused', reason: mailbox.reason };
  if (verdict.domain !== undefined) {
    const fromDomain = normalizeDomain(domainOf(from?.address ?? ''));
    if (verdict.domain !== fromDomain) return { status: 'refused', reason: `DMARC passed for ${verdict.domain}, not the From domain ${fromDomain || '(none)'}` };
  }
  if (!verdict.authentic) return { status: 'unauthenticated', reason: verdict.reason };
  return { status: 'authenticated', reason: verdict.reason };
}
