import { convert } from 'html-to-text';
import iconv from 'iconv-lite';
import type { CollectedPart } from './mime-parts.models.js';

/**
 * html-to-text lays out the whole document tree, and its cost is not linear in every shape: measured here
 * (Node 20, one core), 2 MB of nested <div> took 116 s and 2.3 MB of table rows 23 s. It gets HTML up to this
 * size and nesting depth, which covers the mail people write; anything bigger or deeper goes through the
 * linear tag stripper below instead, so no mail can hold the event loop.
 */
const LIBRARY_MAX_CHARS = 300_000;
const LIBRARY_MAX_DEPTH = 64;
/** HTML longer than this is cut before the linear conversion (after collapsing whitespace runs). */
const MAX_HTML_CHARS = 2_000_000;
/** A part read as the body when the mail has no other: enough for any message a person wrote. */
const MAX_FALLBACK_CHARS = 200_000;

/**
 * HTML as a person reads it in plain text: paragraphs and line breaks kept, lists as `* item`, links as
 * `text [url]` (the url alone when it is the text), images and scripts dropped, no re-wrapping (the stored
 * text is shown as it is; quoted-history detection works on the lines the sender's client made).
 */
export function htmlToPlainText(html: string): string {
  const text = html.length <= LIBRARY_MAX_CHARS && !nestedDeeperThan(html, LIBRARY_MAX_DEPTH) ? viaLibrary(html) : linearHtmlToText(html);
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function viaLibrary(html: string): string {
  return convert(html, {
    wordwrap: false,
    preserveNewlines: false,
    limits: { maxInputLength: LIBRARY_MAX_CHARS, maxDepth: LIBRARY_MAX_DEPTH * 2, ellipsis: ' ...' },
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['[', ']'] } },
      { selector: 'img', format: 'skip' },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      // Tables as blocks of lines: the default layout of cells in columns is the costly part.
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'inline', options: { trailingLineBreaks: 0 } },
      { selector: 'th', format: 'inline' },
    ],
  });
}

const VOID_OR_SELF_CLOSING = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'p', 'li', 'td', 'th', 'tr', 'option', 'dt', 'dd']);

/** One linear pass over the tags, stopping as soon as more than `limit` elements are open. */
function nestedDeeperThan(html: string, limit: number): boolean {
  const open: string[] = [];
  for (let index = html.indexOf('<'); index >= 0; index = html.indexOf('<', index + 1)) {
    const name = /^(\/?)([a-zA-Z][a-zA-Z0-9]{0,15})/.exec(html.slice(index + 1, index + 18));
    if (!name) continue;
    const tag = (name[2] ?? '').toLowerCase();
    if (VOID_OR_SELF_CLOSING.has(tag)) continue;
    if (name[1] === '') {
      open.push(tag);
      if (open.length > limit) return true;
    } else {
      const at = open.lastIndexOf(tag);
      if (at >= 0) open.length = at;
    }
  }
  return false;
}

const BLOCK_TAGS = new Set(['br', 'p', 'div', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'blockquote', 'hr']);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * For HTML too big or too deep for html-to-text: one linear pass, tags dropped, block tags as line breaks,
 * script and style skipped, the common entities decoded. No regex here may backtrack over a long run.
 */
function linearHtmlToText(full: string): string {
  const html = full.length > MAX_HTML_CHARS ? full.replace(/\s{2,}/g, ' ').slice(0, MAX_HTML_CHARS) : full;
  let out = '';
  let index = 0;
  while (index < html.length) {
    const open = html.indexOf('<', index);
    const close = open < 0 ? -1 : html.indexOf('>', open + 1);
    if (close < 0) {
      out += html.slice(index);
      break;
    }
    out += html.slice(index, open);
    const name = /^\/?([a-zA-Z0-9]+)/.exec(html.slice(open + 1, Math.min(close, open + 12)))?.[1]?.toLowerCase() ?? '';
    index = close + 1;
    if (BLOCK_TAGS.has(name)) out += '\n';
    if ((name === 'script' || name === 'style') && html[open + 1] !== '/') {
      const end = new RegExp(`</${name}`, 'gi');
      end.lastIndex = index;
      index = end.exec(html)?.index ?? html.length;
    }
  }
  return out.replace(/[ \t]+/g, ' ').replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (entity, body: string) => decodeEntity(body) ?? entity);
}

function decodeEntity(body: string): string | undefined {
  const lower = body.toLowerCase();
  if (lower.startsWith('#')) {
    const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number.parseInt(lower.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return ENTITIES[lower];
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
