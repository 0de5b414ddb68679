/**
 * The new part of a reply body: what the sender wrote this time, without the quoted history, `>` quotes
 * and signature. Attribution lines and Outlook header blocks are recognised in the common languages
 * (Gmail "On ... wrote:", "Le ... a écrit :", "Am ... schrieb ...:", "El ... escribió:", "Il ... ha scritto:",
 * Norwegian "... skrev ...:", ...), as are "-----Original Message-----" separators.
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
    if (isQuoted(line) || isWrappedQuoteLine(lines, index)) continue;
    if (isSignatureDelimiter(line) || SENT_FROM_MOBILE.test(line.trim()) || isHistoryStart(lines, index)) break;
    kept.push(line);
  }
  dropTrailingNoise(kept);
  return kept.join('\n').trim();
}

// The verb of an attribution line, as a whole word, in the languages of our customers' mail clients.
const ATTRIBUTION_VERB =
  /(?:^|[\s,>])(?:wrote|a écrit|schrieb|escribió|escribio|ha scritto|escreveu|schreef|skrev|kirjoitti|napisał(?:\(a\))?|napisała|írta|написал(?:\(а\)|а)?|написав|написала|yazdı|wrote on)(?=[\s:]|$)/iu;
// Words that open an attribution ("On", "Le", "Am", "El", "Il", "Em", "Op", "Den", "W dniu", "Dne").
const ATTRIBUTION_OPENER = /^(?:On|Le|Am|El|Il|Em|Op|Den|W dniu|Dne)\s/u;
const MAX_ATTRIBUTION_CHARS = 400;

/**
 * Lines an attribution spans (a client may wrap it over up to three lines, Gmail even puts the closing `>:`
 * of the address on a line of its own), or 0. It must end with ":" (French puts a space before it), name
 * the verb, and open with one of the usual words or carry a date or address, so that prose such as
 * "Here is what I wrote:" is not taken for one. Bounded per line: linear over the whole body.
 */
function attributionLength(lines: string[], index: number): number {
  let joined = '';
  for (let offset = 0; offset < 3; offset += 1) {
    const line = lines[index + offset];
    if (line === undefined || (offset > 0 && line.trim() === '')) return 0;
    if (line.length > MAX_ATTRIBUTION_CHARS) return 0;
    if (offset === 0 && !looksLikeAttributionStart(line)) return 0;
    // The attribution starts on a later line ("Hi,\nOn ... wrote:"): leave this one to the text.
    if (offset > 0 && ATTRIBUTION_OPENER.test(line.trim())) return 0;
    joined = offset === 0 ? line.trim().replace(/^-\s+/, '') : `${joined} ${line.trim()}`;
    if (joined.length > MAX_ATTRIBUTION_CHARS) return 0;
    if (joined.endsWith(':') && isAttribution(joined)) return offset + 1;
  }
  return 0;
}

function looksLikeAttributionStart(line: string): boolean {
  const text = line.trim().replace(/^-\s+/, '');
  return ATTRIBUTION_OPENER.test(text) || /\d/.test(text) || text.includes('@') || ATTRIBUTION_VERB.test(text);
}

function isAttribution(text: string): boolean {
  if (!ATTRIBUTION_VERB.test(text)) return false;
  return ATTRIBUTION_OPENER.test(text) || /\d/.test(text) || text.includes('@');
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

/** A quoted line the client wrapped without repeating `>`: unquoted, but right between two quoted lines. */
function isWrappedQuoteLine(lines: string[], index: number): boolean {
  const line = lines[index] ?? '';
  if (line.trim() === '' || index === 0) return false;
  return isQuoted(lines[index - 1] ?? '') && isQuoted(lines[index + 1] ?? '');
}

/** RFC 3676 delimiter "-- "; many clients strip the trailing space, so "--" alone counts too. */
function isSignatureDelimiter(line: string): boolean {
  return line === '-- ' || line === '--';
}

const ORIGINAL_MESSAGE =
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Original-Nachricht|Message d'origine|Mensaje original|Messaggio originale|Mensagem original|Oorspronkelijk bericht|Originalmeddelande|Opprinnelig melding|Oprindelig meddelelse|Alkuperäinen viesti|Wiadomość oryginalna|Исходное сообщение)\s*-{2,}$/iu;
const UNDERSCORE_SEPARATOR = /^_{20,}$/;
// Outlook's plain-text header block, possibly bold (`*From:*`) after an HTML-to-text conversion, in several
// languages; French typography puts a space before the colon ("De : ...", "Envoyé le : ...").
const OUTLOOK_FROM = /^\*?(?:From|Von|De|Da|Van|Från|Fra|Od|От|Lähettäjä|发件人|寄件者|差出人)\s?[:：]\*?\s*\S/u;
const OUTLOOK_SENT =
  /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé(?: le)?|Message du|Enviado(?: el)?|Inviato|Data|Verzonden|Skickat|Sendt|Wysłano|Odesláno|Отправлено|Дата|Lähetetty|发送时间|日期|寄件日期|送信日時)\s?[:：]\*?\s*\S/u;

function isHistoryStart(lines: string[], index: number): boolean {
  const line = (lines[index] ?? '').trim();
  if (ORIGINAL_MESSAGE.test(line) || UNDERSCORE_SEPARATOR.test(line)) return true;
  if (!OUTLOOK_FROM.test(line)) return false;
  // A "From:" line alone is ordinary prose; a Sent:/Date: line within three lines of it (after, or before as
  // in French webmail's "Message du : ..." first) makes it a header block. The line before is dropped with
  // the trailing noise.
  return hasSentLineNear(lines, index, 1) || hasSentLineNear(lines, index, -1);
}

function hasSentLineNear(lines: string[], index: number, step: 1 | -1): boolean {
  for (let offset = 1; offset <= 3; offset += 1) {
    const near = (lines[index + step * offset] ?? '').trim();
    if (near === '') return false;
    if (OUTLOOK_SENT.test(near)) return true;
  }
  return false;
}

// A phone's signature line ends the new text: "Sent from my iPhone", "Envoyé de mon iPhone", ...
const SENT_FROM_MOBILE =
  /^(?:Sent from my|Envoyé de mon|Von meinem|Enviado desde mi|Inviato da(?: mio)?|Verzonden met mijn|Skickat från min)(?:\s+[\p{L}\p{N}]+){1,5}(?:\s+gesendet)?$/u;

/** Blank lines, a mobile "Sent from my iPhone" and separator lines (`-----`) left above a cut. */
function dropTrailingNoise(kept: string[]): void {
  let droppedMobileLine = false;
  while (kept.length > 0) {
    const last = (kept[kept.length - 1] ?? '').trim();
    const noise = last === '' || /^[-_=*]+$/.test(last) || OUTLOOK_SENT.test(last) || (!droppedMobileLine && SENT_FROM_MOBILE.test(last));
    if (!noise) return;
    if (SENT_FROM_MOBILE.test(last)) droppedMobileLine = true;
    kept.pop();
  }
}
