import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Our signed reply token: `cs-12.<hmac>`, the lower-cased ticket ref and the first 20 hex digits (80 bits) of
 * HMAC-SHA256(secret, ref). It rides in our outbound Message-IDs (`cs-12.<hmac>.<unique>@domain`) and in the
 * plus-address Reply-To of engineer notifications (`help+cs-12.<hmac>@domain`). A reply quoting either
 * proves it answers mail we sent for that ticket; nobody can forge one for another ticket without the secret.
 */
const SIGNATURE_HEX = 20;
const TOKEN = /^([a-z][a-z0-9]{0,9}-\d{1,9})\.([0-9a-f]{20})(?:\.|$)/;

export function signRef({ ref, secret }: { ref: string; secret: string }): string {
  return createHmac('sha256', secret).update(ref.toUpperCase()).digest('hex').slice(0, SIGNATURE_HEX);
}

export function replyToken({ ref, secret }: { ref: string; secret: string }): string {
  return `${ref.toLowerCase()}.${signRef({ ref, secret })}`;
}

/** The ref a `cs-12.<hmac>...` string carries, if its signature is ours (compared in constant time). */
export function verifyToken({ value, secret }: { value: string; secret: string }): string | undefined {
  if (secret === '') return undefined;
  const match = TOKEN.exec(value.toLowerCase());
  if (!match) return undefined;
  const ref = (match[1] ?? '').toUpperCase();
  const given = Buffer.from(match[2] ?? '', 'utf8');
  const expected = Buffer.from(signRef({ ref, secret }), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected) ? ref : undefined;
}

/** Our Message-ID for a mail about a ticket: signed when a secret is configured. */
export function outboundMessageId({ ref, secret, unique, domain }: { ref: string; secret: string; unique: string; domain: string }): string {
  const head = secret === '' ? ref.toLowerCase() : replyToken({ ref, secret });
  return `${head}.${unique}@${domain}`;
}

/** `help+cs-12.<hmac>@domain` for `help@domain` (the address of the ticket's mailbox). */
export function plusAddress({ supportAddress, ref, secret }: { supportAddress: string; ref: string; secret: string }): string {
  const at = supportAddress.lastIndexOf('@');
  return `${supportAddress.slice(0, at)}+${replyToken({ ref, secret })}${supportAddress.slice(at)}`;
}

/**
 * Refs proven by a valid token in the mail's parent ids (our Message-IDs) or in a recipient that is a plus
 * address of one of our mailboxes (`supportAddress`: one address, or every address of ours, `ownAddresses`).
 * Most specific first, each once.
 */
export function refsFromTokens({
  parentIds,
  recipients,
  supportAddress,
  secret,
}: {
  parentIds: string[];
  recipients: string[];
  supportAddress: string | string[];
  secret: string;
}): string[] {
  if (secret === '') return [];
  const mailboxes = (typeof supportAddress === 'string' ? [supportAddress] : supportAddress).map((address) => {
    const at = address.lastIndexOf('@');
    return { prefix: `${address.slice(0, at).toLowerCase()}+`, domain: address.slice(at + 1).toLowerCase() };
  });
  const refs = new Set<string>();
  for (const recipient of recipients) {
    const address = recipient.toLowerCase();
    for (const { prefix, domain } of mailboxes) {
      if (!address.startsWith(prefix) || !address.endsWith(`@${domain}`)) continue;
      const ref = verifyToken({ value: address.slice(prefix.length, address.length - domain.length - 1), secret });
      if (ref) refs.add(ref);
    }
  }
  for (const id of parentIds) {
    const ref = verifyToken({ value: id, secret });
    if (ref) refs.add(ref);
  }
  return [...refs];
}
