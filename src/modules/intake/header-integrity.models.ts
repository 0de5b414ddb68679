/**
 * RFC 5322 section 3.6 allows at most one of each of these fields. A second instance is either a broken
 * mailer or an attack: DKIM covers the bottom-most instance (RFC 6376 5.4.2) while mailparser and most
 * mail clients read the top one, so an unsigned `Subject: SEV1 ...` put above a signed mail would page,
 * a replay under a new unsigned Message-ID would open a second ticket, and an added In-Reply-To would thread
 * one customer's mail into another's ticket. We quarantine such mail as `malformed-headers` rather than pick
 * an instance: every decision (severity, duplicate check, threading, identity) then reads the one value
 * there is. To, Cc, Bcc and Reply-To are included: they choose participants, plus-address tokens and loop
 * checks, and real mail that repeats them is as rare as mail that repeats Subject (none in our corpus).
 */
export const SINGLE_INSTANCE_HEADERS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'subject', 'message-id', 'in-reply-to', 'references', 'date'] as const;

const DISPLAY_NAMES: Record<(typeof SINGLE_INSTANCE_HEADERS)[number], string> = {
  from: 'From',
  sender: 'Sender',
  'reply-to': 'Reply-To',
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  subject: 'Subject',
  'message-id': 'Message-ID',
  'in-reply-to': 'In-Reply-To',
  references: 'References',
  date: 'Date',
};

/**
 * `malformed-headers: 2 From, 2 Subject`, or undefined when every single-instance field appears at most once.
 * `headers` is the message's top-level header block as read from the raw lines (every instance, in order).
 */
export function headerIntegrityProblem(headers: Map<string, string[]>): string | undefined {
  const repeated = SINGLE_INSTANCE_HEADERS.flatMap((name) => {
    const count = headers.get(name)?.length ?? 0;
    return count > 1 ? [`${count} ${DISPLAY_NAMES[name]}`] : [];
  });
  return repeated.length > 0 ? `malformed-headers: ${repeated.join(', ')}` : undefined;
}
