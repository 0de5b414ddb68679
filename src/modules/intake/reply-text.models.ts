/**
 * The new part of a reply body: what the sender wrote this time, without the quoted history, `>` quotes
 * and signature. English markers plus a few common Outlook translations; a multilingual version comes
 * later.
 *
 * Everything works line by line with anchored, bounded patterns: reply bodies can be megabytes of
 * quoted history (email_reply_parser's email_long_quote.txt has a 700 KB line) and a backtracking regex
 * over the whole body is how other parsers hang.
 */
export function newTextOf(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const attribution = attributionLength(lines, index);
    if (attribution > 0) {
      // "On ... wrote:" above `>` quotes only introduces that quote: keep reading, so answers written
      // below or between the quotes survive. Above unquoted text it starts the history: stop.
      if (!nextNonBlankIsQuoted(lines, index + attribution)) break;
      index += attribution - 1;
      continue;
    }
    if (isQuoted(line)) continue;
    if (isSignatureDelimiter(line) || isHistoryStart(lines, index)) break;
    kept.push(line);
  }
  dropTrailingNoise(kept);
  return kept.join('\n').trim();
}

/** Lines an attribution spans ("On <date>, <name>" wrapped by the client up to three lines), or 0. */
function attributionLength(lines: string[], index: number): number {
  if (!/^On\s/.test((lines[index] ?? '').trimStart())) return 0;
  for (let offset = 0; offset < 3; offset += 1) {
    const line = lines[index + offset];
    if (line === undefined || (offset > 0 && line.trim() === '')) return 0;
    if (line.trimEnd().endsWith('wrote:')) return offset + 1;
  }
  return 0;
}

function nextNonBlankIsQuoted(lines: string[], from: number): boolean {
  for (let index = from; index < lines.length && index < from + 5; index += 1) {
    const line = lines[index] ?? '';
    if (line.trim() !== '') return isQuoted(line);
  }
  return false;
}

function isQuoted(line: string): boolean {
  return line.trimStart().startsWith('>');
}

/** RFC 3676 delimiter "-- "; many clients strip the trailing space, so "--" alone counts too. */
function isSignatureDelimiter(line: string): boolean {
  return line === '-- ' || line === '--';
}

const ORIGINAL_MESSAGE =
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}$/i;
const UNDERSCORE_SEPARATOR = /^_{20,}$/;
// Outlook's plain-text header block, possibly bold (`*From:*`) after an HTML-to-text conversion.
const OUTLOOK_FROM = /^\*?(?:From|Von|De):\*?\s/;
const OUTLOOK_SENT = /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado):\*?\s/;

function isHistoryStart(lines: string[], index: number): boolean {
  const line = (lines[index] ?? '').trim();
  if (ORIGINAL_MESSAGE.test(line) || UNDERSCORE_SEPARATOR.test(line)) return true;
  if (!OUTLOOK_FROM.test(line)) return false;
  // A "From:" line alone is ordinary prose; a Sent:/Date: line within the next three makes it a header block.
  for (let offset = 1; offset <= 3; offset += 1) {
    const next = (lines[index + offset] ?? '').trim();
    if (next === '') return false;
    if (OUTLOOK_SENT.test(next)) return true;
  }
  return false;
}

const SENT_FROM_MOBILE = /^Sent from my(?:\s+[\p{L}\p{N}]+){1,3}$/u;

/** Blank lines, a mobile "Sent from my iPhone" and separator lines (`-----`) left above a cut. */
function dropTrailingNoise(kept: string[]): void {
  let droppedMobileLine = false;
  while (kept.length > 0) {
    const last = (kept[kept.length - 1] ?? '').trim();
    const noise = last === '' || /^[-_=*]+$/.test(last) || (!droppedMobileLine && SENT_FROM_MOBILE.test(last));
    if (!noise) return;
    if (SENT_FROM_MOBILE.test(last)) droppedMobileLine = true;
    kept.pop();
  }
}
