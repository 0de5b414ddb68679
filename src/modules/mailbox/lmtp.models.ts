/**
 * Pure rules of the LMTP listener: which recipients it takes, the trace header it prepends (what an MTA's
 * final delivery writes), and the size it announces. Everything here sees envelope values an MTA passed on
 * from the sender, so every value is cleaned and bounded before it goes into a header.
 */

/**
 * Room kept for the trace header we prepend: the announced SIZE is `limits.maxMessageBytes` minus this, so a
 * message the MTA was allowed to send is never over `maxMessageBytes` once stored (and quarantined too-large).
 * `traceHeader` stays below it whatever the envelope says.
 */
export const TRACE_RESERVE_BYTES = 2048;

const MAX_ADDRESS = 254;
const MAX_NAME = 255;

/** The SIZE the listener announces and enforces (RFC 1870), never below 1. */
export function announcedSize(maxMessageBytes: number): number {
  return Math.max(1, maxMessageBytes - TRACE_RESERVE_BYTES);
}

/**
 * True for the support address itself and its plus-addresses (`help+cs-12.<token>@`, whatever follows the +:
 * the token is checked by threading, not here). Compared without case, as MTAs deliver them.
 */
export function isSupportRecipient({ address, supportAddress }: { address: string; supportAddress: string }): boolean {
  const wanted = splitAddress(supportAddress.toLowerCase());
  const given = splitAddress(address.toLowerCase());
  if (!wanted || !given || given.domain !== wanted.domain) return false;
  if (given.local === wanted.local) return true;
  return given.local.length > wanted.local.length + 1 && given.local.startsWith(`${wanted.local}+`);
}

function splitAddress(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

export type TraceInput = {
  /** MAIL FROM; '' for the null sender `<>` (bounces). */
  mailFrom: string;
  /** The accepted RCPT TO addresses. */
  rcptTo: string[];
  /** The name the client gave in LHLO. */
  heloName: string;
  remoteAddress: string;
  /** Our own name, in `by`. */
  serverName: string;
  /** The time stamped on the Received line (see `traceDate`). */
  date: Date;
};

/**
 * `Return-Path:` with the envelope sender and a `Received:` line, as an MTA's final delivery (Dovecot LMTP,
 * Postfix local) writes them on top of the message. The pipeline reads the topmost Return-Path as the
 * envelope sender (`<>` makes a bounce), and only ours can be topmost. No session id and no clock of our own
 * go in: the same delivery repeated (our 250 was lost) gives the same bytes, so the intake recognises it even
 * without a Message-ID. CRLF line ends, folded like Dovecot's; never longer than TRACE_RESERVE_BYTES.
 */
export function traceHeader({ mailFrom, rcptTo, heloName, remoteAddress, serverName, date }: TraceInput): string {
  const sender = cleanAddress(mailFrom);
  const from = cleanName(heloName) || 'unknown';
  const address = cleanName(remoteAddress);
  const by = cleanName(serverName) || 'ticketd';
  // Dovecot names the recipient only when there is one: a list would tell each recipient about the others.
  const only = rcptTo.length === 1 ? cleanAddress(rcptTo[0] ?? '') : '';
  const lines = [
    `Return-Path: <${sender}>`,
    `Received: from ${from}${address ? ` ([${address}])` : ''}`,
    `\tby ${by} (ticketd) with LMTP${only ? `\r\n\tfor <${only}>` : ''}; ${formatDate(date)}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** Printable, no spaces or angle brackets (they would end the `<...>`), bounded; UTF-8 letters kept (SMTPUTF8). */
export function cleanAddress(value: string): string {
  return value.replace(/[\u0000-\u0020\u007f-\u009f<>\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?').slice(0, MAX_ADDRESS);
}

/** A host name or address literal: letters, digits and the few marks they use. */
function cleanName(value: string): string {
  return value.replace(/[^A-Za-z0-9.:_\-[\]]/g, '?').slice(0, MAX_NAME);
}

/** RFC 5322 date-time in UTC: `Fri, 04 Dec 2026 17:21:40 +0000`. */
export function formatDate(date: Date): string {
  return date.toUTCString().replace(/ GMT$/, ' +0000');
}

/** How much of the message head `traceDate` looks at: enough for any real header block's first lines. */
export const HEAD_PEEK_BYTES = 64 * 1024;

/**
 * The time for our Received line: the date of the topmost Received header already there (the MTA's own, written
 * when it took the mail in and kept in its queue file), so a redelivery stamps the same time; `now` when there
 * is none or it does not parse. `head` is the start of the message (up to HEAD_PEEK_BYTES), read as latin1.
 * One pass over the lines of the header block; nothing here backtracks.
 */
export function traceDate({ head, now }: { head: string; now: Date }): Date {
  const value = topmostReceived(head);
  if (value === undefined) return now;
  const semicolon = value.lastIndexOf(';');
  if (semicolon < 0) return now;
  const text = value
    .slice(semicolon + 1)
    .replace(/\([^()]*\)/g, ' ')
    .trim();
  const time = Date.parse(text);
  return Number.isNaN(time) ? now : new Date(time);
}

function topmostReceived(head: string): string | undefined {
  const lines = head.split('\n');
  let found: string | undefined;
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (found !== undefined) {
      if (line.startsWith(' ') || line.startsWith('\t')) {
        found += ` ${line.trim()}`;
        continue;
      }
      return found;
    }
    if (line === '') return undefined; // end of the header block
    if (/^received:/i.test(line)) found = line.slice('received:'.length);
  }
  return found;
}
