/**
 * The new part of a reply body: what the sender wrote this time, without the quoted history. The sender's
 * own words stay whole: their signature (below `-- ` or not), contact details and lines such as "Sent from
 * my iPhone" are theirs and are kept; only what they quoted goes: `>` quotes, the attribution line above
 * them, and unquoted history below an attribution, an Outlook header block or an "Original Message"
 * separator. Attribution lines and header blocks are recognised for the clients people use (Gmail, Outlook
 * desktop and web, Apple Mail and iPhone, Thunderbird, Yahoo, Sparrow, Android and Samsung mail) in English,
 * German, French, Spanish, Italian, Dutch, Portuguese, the Nordic languages, Polish, Hungarian, Ukrainian
 * and Russian, Chinese and Japanese.
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
    if (isHistoryStart(lines, index) || isListFooter(lines, index)) break;
    kept.push(line);
    // A phone writes its "Sent from my iPhone" last: what follows is the original it appended, unquoted.
    if (SENT_FROM_MOBILE.test(line.trim())) break;
  }
  dropTrailingNoise(kept);
  // Removed quotes leave runs of blank lines behind: one blank line is the most a paragraph break needs.
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

// The verb of an attribution line, as a whole word, in the languages of our customers' mail clients.
const ATTRIBUTION_VERB =
  /(?:^|[\s,>])(?:wrote|a écrit|schrieb|escribió|escribio|ha scritto|escreveu|schreef|het volgende geschreven|skrev|kirjoitti|napisał(?:\(a\))?|napisała|írta|написал(?:\(а\)|а)?|написав|написала|yazdı|wrote on)(?=[\s:]|$)/iu;
// Words that open an attribution ("On", "Le", "Am", "El", "Il", "Em", "Op", "Den", "W dniu", "Dne", "Dnia").
const ATTRIBUTION_OPENER = /^(?:On|Le|Am|El|Il|Em|Op|Den|W dniu|Dnia|Dne)\s/u;
// Chinese and Japanese attributions have no spaces to find a word by: Gmail zh "Alice <a@x> 于2023年5月10日周三
// 10:00写道：", Apple Mail zh "在 2023年5月10日，上午10:00，Alice <a@x> 写道：", Apple Mail ja "2023/05/10 10:00、Alice
// <a@x>のメール:", Gmail ja "2023年5月10日(水) 10:00 Alice <a@x>:" (no verb at all: a date first and an address last).
const CJK_ATTRIBUTION = /(?:写道|寫道|のメール)\s*[:：]$|^(?:在\s*)?\d{4}\s*[年/.-]\s*\d{1,2}\s*[月/.-]\s*\d{1,2}.{0,300}<[^<>\s]{1,200}@[^<>\s]{1,200}>\s*[:：]$/u;
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
    if ((joined.endsWith(':') || joined.endsWith('：')) && isAttribution(joined)) return offset + 1;
  }
  return 0;
}

function looksLikeAttributionStart(line: string): boolean {
  const text = line.trim().replace(/^-\s+/, '');
  return ATTRIBUTION_OPENER.test(text) || /\d/.test(text) || text.includes('@') || ATTRIBUTION_VERB.test(text);
}

function isAttribution(text: string): boolean {
  if (CJK_ATTRIBUTION.test(text)) return true;
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

const ORIGINAL_MESSAGE =
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Original-Nachricht|Message d'origine|Mensaje original|Messaggio originale|Mensagem original|Oorspronkelijk bericht|Originalmeddelande|Opprinnelig melding|Oprindelig meddelelse|Alkuperäinen viesti|Wiadomość oryginalna|Исходное сообщение)\s*-{2,}$/iu;
// Outlook's rule above its header block; on its own (a list footer, a disclaimer) it is the sender's text.
const UNDERSCORE_SEPARATOR = /^_{20,}$/;
// Outlook's plain-text header block, possibly bold (`*From:*`) after an HTML-to-text conversion, in several
// languages; French typography puts a space before the colon ("De : ...", "Envoyé le : ...").
const OUTLOOK_FROM = /^\*?(?:From|Von|De|Da|Van|Från|Fra|Od|От|Lähettäjä|发件人|寄件者|差出人)\s?[:：]\*?\s*\S/u;
const OUTLOOK_SENT =
  /^\*?(?:Sent|Date|Gesendet|Datum|Envoyé(?: le)?|Message du|Enviado(?: el)?|Inviato|Data|Verzonden|Skickat|Sendt|Wysłano|Odesláno|Отправлено|Дата|Lähetetty|发送时间|日期|寄件日期|送信日時)\s?[:：]\*?\s*\S/u;

function isHistoryStart(lines: string[], index: number): boolean {
  const line = (lines[index] ?? '').trim();
  if (ORIGINAL_MESSAGE.test(line)) return true;
  if (UNDERSCORE_SEPARATOR.test(line)) return headerBlockFollows(lines, index);
  if (!OUTLOOK_FROM.test(line)) return false;
  // A "From:" line alone is ordinary prose; a Sent:/Date: line within three lines of it (after, or before as
  // in French webmail's "Message du : ..." first) makes it a header block. The line before is dropped with
  // the trailing noise.
  return hasSentLineNear(lines, index, 1) || hasSentLineNear(lines, index, -1);
}

/** Mailman's footer ("____" then "<list> mailing list"): the list wrote it, not the sender. */
function isListFooter(lines: string[], index: number): boolean {
  if (!UNDERSCORE_SEPARATOR.test((lines[index] ?? '').trim())) return false;
  const next = lines.slice(index + 1, index + 3).find((line) => line.trim() !== '') ?? '';
  return /\smailing list$/i.test(next.trim()) && next.length < 200;
}

/** An Outlook header block (From: with a Sent:/Date: line by it) within the next few non-blank lines. */
function headerBlockFollows(lines: string[], index: number): boolean {
  for (let next = index + 1; next < lines.length && next <= index + 4; next += 1) {
    const line = (lines[next] ?? '').trim();
    if (line === '') continue;
    return OUTLOOK_FROM.test(line) && (hasSentLineNear(lines, next, 1) || hasSentLineNear(lines, next, -1));
  }
  return false;
}

function hasSentLineNear(lines: string[], index: number, step: 1 | -1): boolean {
  for (let offset = 1; offset <= 3; offset += 1) {
    const near = (lines[index + step * offset] ?? '').trim();
    if (near === '') return false;
    if (OUTLOOK_SENT.test(near)) return true;
  }
  return false;
}

// A phone's own signature line: "Sent from my iPhone", "Envoyé de mon iPhone", "Von meinem iPhone gesendet", ...
const SENT_FROM_MOBILE =
  /^(?:Sent from my|Envoyé de mon|Von meinem|Enviado desde mi|Enviado do meu|Inviato da(?: mio)?|Verzonden met mijn|Skickat från min)(?:\s+[\p{L}\p{N}]+){1,5}(?:\s+gesendet)?$/u;

/** Blank lines and separator lines (`-----`, `_____`, `=====`) left right above a cut. */
function dropTrailingNoise(kept: string[]): void {
  while (kept.length > 0) {
    const last = (kept[kept.length - 1] ?? '').trim();
    if (last !== '' && !/^[-_=*]{3,}$/.test(last) && !OUTLOOK_SENT.test(last)) return;
    kept.pop();
  }
}
