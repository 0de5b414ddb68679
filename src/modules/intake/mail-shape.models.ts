/**
 * Is this input a mail at all? `ticketd ingest` takes any file, and a package.json or a photo parsed as mail
 * comes out with an empty From and Subject and a misleading reason (`sender-not-approved`). The rule, on the
 * raw bytes before parsing:
 *
 * - the header block is everything before the first empty line (or the whole head read, when there is none:
 *   RFC 5322 allows a message without a body);
 * - a UTF-8 byte order mark, then one mbox separator line (`From sender date`, as in mail exported from mbox
 *   files) may come first;
 * - the block's first line is a header field, `Name: value` with a name of printable ASCII without spaces or
 *   colons (RFC 5322 3.6.8; spaces before the colon are the obsolete syntax of 4.5 and still accepted);
 * - the block names at least one field only a mail or a MIME entity carries: From, Sender, Date, Subject,
 *   Message-ID, MIME-Version, Content-Type, Received or Return-Path (a YAML file of `key: value` lines has the
 *   shape of a header block but none of these);
 * - the block holds no NUL byte (binary data).
 *
 * Anything else is quarantined `not-a-mail` with the rule it broke, and is never parsed. Bytes are compared
 * as latin1, so the check is linear and never decodes. Only the first HEAD_BYTES are looked at.
 */
export const MAIL_HEAD_BYTES = 64 * 1024;

export type MailShape = { mail: true } | { mail: false; reason: string };

const FIELD = /^[\x21-\x39\x3B-\x7E]{1,200}[ \t]*:/;
const MBOX_SEPARATOR = /^From /;
const NAMES_A_MAIL = /^(from|sender|date|subject|message-id|mime-version|content-type|received|return-path)[ \t]*:/i;
/** EF BB BF read as latin1. */
const BOM = '\u00EF\u00BB\u00BF';

export function readMailShape(head: Buffer): MailShape {
  if (head.length === 0) return { mail: false, reason: 'empty input' };
  const all = head.subarray(0, MAIL_HEAD_BYTES).toString('latin1');
  const text = all.startsWith(BOM) ? all.slice(BOM.length) : all;
  const end = headerBlockEnd(text);
  const block = text.slice(0, end);
  if (block.includes('\0')) return { mail: false, reason: 'binary data (a NUL byte) in the header block' };
  const lines = block.split(/\r?\n/);
  if (lines[0] !== undefined && MBOX_SEPARATOR.test(lines[0])) lines.shift();
  if (!FIELD.test(lines[0] ?? '')) return { mail: false, reason: 'no header block: the input does not start with a "Name: value" header field' };
  if (!lines.some((line) => NAMES_A_MAIL.test(line))) return { mail: false, reason: 'the header block has none of the fields of a mail (From, Date, Subject, Message-ID, MIME-Version, Content-Type, Received, ...)' };
  return { mail: true };
}

/** Where the first empty line starts (CRLF or LF endings), or the end of the text. */
function headerBlockEnd(text: string): number {
  const lf = text.indexOf('\n\n');
  const crlf = text.indexOf('\r\n\r\n');
  const found = [lf, crlf].filter((index) => index >= 0);
  return found.length > 0 ? Math.min(...found) : text.length;
}
