import { convert } from 'html-to-text';
import iconv from 'iconv-lite';
import type { CollectedPart } from './mime-parts.models.js';

/** HTML longer than this is cut before conversion: html-to-text is linear, but a megabyte still costs. */
const MAX_HTML_CHARS = 2_000_000;
/** A part read as the body when the mail has no other: enough for any message a person wrote. */
const MAX_FALLBACK_CHARS = 200_000;

/**
 * HTML as a person reads it in plain text: paragraphs and line breaks kept, lists as `* item`, links as
 * `text [url]` (the url alone when it is the text), images and scripts dropped, no re-wrapping (the stored
 * text is shown as it is; quoted-history detection works on the lines the sender's client made).
 */
export function htmlToPlainText(html: string): string {
  // Giant HTML is mostly whitespace or markup padding: runs of whitespace are collapsed (one linear pass, at
  // the cost of <pre> layout) before anything past the limit is cut.
  const input = html.length > MAX_HTML_CHARS ? html.replace(/\s{2,}/g, ' ').slice(0, MAX_HTML_CHARS) : html;
  const text = convert(input, {
    wordwrap: false,
    preserveNewlines: false,
    limits: { maxInputLength: MAX_HTML_CHARS, maxDepth: 256, ellipsis: ' ...' },
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['[', ']'] } },
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The message's body text, never empty when any part holds readable text. mailparser's own text is used
 * when the mail has a text/plain body; HTML-only mail (mailparser#345) is converted here. Without either,
 * the first readable part stands in: a text or HTML file, the forwarded mail's text, a report's text.
 */
export function chooseBodyText({ text, html, hasPlainBody, parts }: { text: string | undefined; html: string | undefined; hasPlainBody: boolean; parts: CollectedPart[] }): string {
  if (!hasPlainBody && html !== undefined && html.trim() !== '') {
    const converted = htmlToPlainText(html);
    if (converted !== '') return converted;
  }
  if (text !== undefined && text.trim() !== '') return text;
  for (const read of [plainPart, htmlPart, forwardedPart, reportPart]) {
    for (const part of parts) {
      const found = read(part)?.trim();
      if (found) return found.length > MAX_FALLBACK_CHARS ? `${found.slice(0, MAX_FALLBACK_CHARS)}\n[...]` : found;
    }
  }
  return text ?? '';
}

function decoded(part: CollectedPart): string | undefined {
  if (!part.content || part.content.length === 0) return undefined;
  const bytes = part.content.subarray(0, MAX_FALLBACK_CHARS * 4);
  const charset = (part.charset ?? 'utf-8').toLowerCase();
  return iconv.encodingExists(charset) ? iconv.decode(bytes, charset) : bytes.toString('utf8');
}

const plainPart = (part: CollectedPart) => (part.contentType === 'text/plain' ? decoded(part) : undefined);
const htmlPart = (part: CollectedPart) => (part.contentType === 'text/html' ? htmlToPlainText(decoded(part) ?? '') : undefined);
const forwardedPart = (part: CollectedPart) => (part.contentType === 'message/rfc822' || part.contentType === 'message/global' ? part.text : undefined);
const reportPart = (part: CollectedPart) => (/^(message\/(delivery-status|global-delivery-status|disposition-notification|feedback-report)|text\/)/.test(part.contentType) ? decoded(part) : undefined);
