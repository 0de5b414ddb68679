import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailParser, type AddressObject, type EmailAddress, type HeaderLines, type ParsedMail, type StructuredHeader } from 'mailparser';
import { createError } from '../../shared/errors.js';
import type { Address, InboundAttachment, InboundMessage } from '../desk/inbound.types.js';
import { trustedReturnPath } from './return-path.models.js';

/** HTML parts longer than this are not converted by mailparser (its converter can take seconds or blow the stack). */
const MAX_HTML_TO_CONVERT = 2_000_000;

/** Parts up to this size keep their bytes in memory (DSN reports, quoted headers); bigger ones only stream. */
const KEEP_IN_MEMORY_BYTES = 1024 * 1024;

export type AttachmentSink = () => { stream: Writable; done: Promise<{ sha256: string; size: number }> };

/**
 * Parses one raw RFC 5322 message into an InboundMessage, streaming: attachments go to `attachmentSink`
 * (the attachment store) chunk by chunk and are never buffered whole (freescout#4293, mailparser#186).
 * Throws only coded errors: `intake.parse_timeout` when parsing takes longer than `timeoutMs`,
 * `intake.parse_failed` otherwise.
 */
export async function parseRawMessage(
  raw: Buffer | Readable,
  { timeoutMs = 15000, attachmentSink = hashOnlySink }: { timeoutMs?: number; attachmentSink?: AttachmentSink } = {},
): Promise<InboundMessage> {
  const details = { bytes: Buffer.isBuffer(raw) ? raw.length : undefined, timeoutMs };
  let parsed: StreamedMail;
  try {
    parsed = await parseWithTimeout(raw, timeoutMs, attachmentSink);
  } catch (error) {
    if (isTimeout(error)) {
      throw createError({ code: 'intake.parse_timeout', message: `parsing took longer than ${timeoutMs} ms`, details });
    }
    throw createError({ code: 'intake.parse_failed', cause: error, details });
  }
  try {
    return normalize(parsed);
  } catch (error) {
    throw createError({ code: 'intake.parse_failed', cause: error, details });
  }
}

const TIMEOUT = Symbol('parse timeout');
const isTimeout = (error: unknown) => error === TIMEOUT;

type StreamedMail = Pick<ParsedMail, 'headers' | 'headerLines' | 'text' | 'html' | 'subject' | 'from' | 'to' | 'cc' | 'replyTo'> & {
  attachments: InboundAttachment[];
};

/** Only digests: for `ticketd ingest` dry runs and tests that do not keep attachments. */
function hashOnlySink(): { stream: Writable; done: Promise<{ sha256: string; size: number }> } {
  const hash = createHash('sha256');
  let size = 0;
  let finish: (value: { sha256: string; size: number }) => void = () => undefined;
  const done = new Promise<{ sha256: string; size: number }>((resolve) => (finish = resolve));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback();
    },
    final(callback) {
      finish({ sha256: hash.digest('hex'), size });
      callback();
    },
  });
  return { stream, done };
}

/**
 * mailparser's MailParser driven the way its simpleParser does, except that each attachment's content is
 * piped to the sink (with back-pressure) instead of concatenated in memory.
 */
function parseWithTimeout(raw: Buffer | Readable, timeoutMs: number, attachmentSink: AttachmentSink): Promise<StreamedMail> {
  // Bytes go in as a stream (never a decoded string, mailparser#218), so a timeout can destroy it.
  const input = Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
  const parser = new MailParser({
    // DSN parts stay attachments instead of being merged into the text, so classify can read them.
    keepDeliveryStatus: true,
    // An inline message/rfc822 part is kept as a part (an attachment we store) instead of being parsed into
    // the body: mailsplit's embedded parsing never ends on an empty one (mailparser 3.14 hung on 186 bytes).
    ignoreEmbedded: true,
    maxHtmlLengthToParse: MAX_HTML_TO_CONVERT,
    // We hash with sha256 ourselves.
    checksumAlgo: false,
    skipTextToHtml: true,
    skipImageLinks: true,
  } as ConstructorParameters<typeof MailParser>[0]);
  const mail: StreamedMail = { attachments: [] } as unknown as StreamedMail;
  const pending: Array<Promise<void>> = [];

  return new Promise<StreamedMail>((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, value?: StreamedMail) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined && value) resolve(value);
      else {
        input.destroy();
        parser.destroy();
        reject(error);
      }
    };
    const timer = setTimeout(() => settle(TIMEOUT), timeoutMs);

    parser.on('headers', (headers) => {
      mail.headers = headers;
      mail.headerLines = (parser as unknown as { headerLines: HeaderLines }).headerLines;
    });
    parser.on('data', (data: { type: string } & Record<string, unknown>) => {
      if (data.type === 'text') {
        if (typeof data.text === 'string') mail.text = data.text;
        if (typeof data.html === 'string') mail.html = data.html;
        return;
      }
      if (data.type !== 'attachment') return;
      const part = data as unknown as { content: Readable; filename?: string; contentType?: string; release(): void };
      const sink = attachmentSink();
      const kept: Buffer[] = [];
      let keptBytes = 0;
      const keeper = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          keptBytes += chunk.length;
          if (keptBytes <= KEEP_IN_MEMORY_BYTES) kept.push(chunk);
          callback(null, chunk);
        },
      });
      pending.push(
        pipeline(part.content, keeper, sink.stream)
          .then(() => sink.done)
          .then(({ sha256, size }) => {
            mail.attachments.push({
              filename: part.filename ?? '',
              contentType: (part.contentType ?? 'application/octet-stream').toLowerCase(),
              size,
              sha256,
              content: keptBytes <= KEEP_IN_MEMORY_BYTES ? Buffer.concat(kept) : undefined,
            });
          })
          .finally(() => part.release()),
      );
    });
    parser.on('error', (error) => settle(error));
    parser.on('end', () => {
      for (const key of ['subject', 'from', 'to', 'cc', 'reply-to'] as const) {
        const value = mail.headers?.get(key);
        if (value !== undefined) (mail as Record<string, unknown>)[key === 'reply-to' ? 'replyTo' : key] = value;
      }
      Promise.all(pending).then(
        () => settle(undefined, mail),
        (error: unknown) => settle(error),
      );
    });
    input.once('error', (error) => settle(error));
    input.pipe(parser);
  });
}

function normalize(mail: StreamedMail): InboundMessage {
  const headers = headerMap(mail.headerLines ?? []);
  const html = typeof mail.html === 'string' ? mail.html : undefined;
  return {
    from: addressesOf(mail.from)[0],
    returnPath: trustedReturnPath(mail.headerLines ?? []),
    to: addressesOf(mail.to),
    cc: addressesOf(mail.cc),
    replyTo: addressesOf(mail.replyTo),
    subject: typeof mail.subject === 'string' ? mail.subject : '',
    messageId: messageIdOf(headers),
    inReplyTo: idsOf(headers.get('in-reply-to')),
    references: idsOf(headers.get('references')),
    date: dateOf(headers),
    text: textOf(mail, html),
    html,
    attachments: mail.attachments,
    headers,
    contentType: contentTypeOf(mail),
  };
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Every top-level header in order, unfolded, names lower-cased. Built from the raw lines because mailparser
 * keeps a single value of a repeated Message-ID or In-Reply-To (MAIL-NOTES says the last wins; 3.14.2 as
 * installed keeps the first) and turns an empty header into `false` (mailparser#385).
 */
function headerMap(lines: HeaderLines): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    // Binary garbage before the first blank line comes back as "header lines" too; a field name is printable ASCII.
    if (colon < 0 || !FIELD_NAME.test(key)) continue;
    // mailparser hands raw header bytes over as a binary string; undo that so 8-bit UTF-8 headers read right.
    const value = Buffer.from(line.slice(colon + 1), 'latin1').toString('utf8').replace(/\r?\n(?=[ \t])/g, '').trim();
    const name = key.toLowerCase();
    const values = headers.get(name);
    if (values) values.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}

const ANGLE_ID = /<([^<>]*)>/g;

/**
 * Ids in `<...>` from every occurrence of the header, brackets and stray whitespace removed, each once.
 * Office 365 comma-joins References (mailparser#289), so splitting on whitespace is not enough.
 */
function idsOf(values: string[] | undefined): string[] {
  // A Set: References of a long thread can hold thousands of ids, and includes() per id would be quadratic.
  const ids = new Set<string>();
  for (const value of values ?? []) {
    for (const match of value.matchAll(ANGLE_ID)) {
      const id = (match[1] ?? '').replace(/\s+/g, '');
      if (id !== '') ids.add(id);
    }
  }
  return [...ids];
}

/**
 * The first Message-ID, the one mail clients show; In-Reply-To and References instead take the ids of every
 * occurrence, since any of them may match a stored message. A bare `id@host` without brackets is accepted.
 */
function messageIdOf(headers: Map<string, string[]>): string | undefined {
  const values = headers.get('message-id') ?? [];
  const bracketed = idsOf(values)[0];
  if (bracketed) return bracketed;
  const bare = values.map((value) => value.trim()).find((value) => /^[^\s<>@]+@[^\s<>]+$/.test(value));
  return bare;
}

/** mailparser substitutes the current time for an unparseable Date; we prefer to know there was none. */
function dateOf(headers: Map<string, string[]>): Date | undefined {
  const value = headers.get('date')?.[0];
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function addressesOf(header: AddressObject | AddressObject[] | undefined): Address[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const addresses: Address[] = [];
  const visit = (entry: EmailAddress) => {
    if (entry.group) entry.group.forEach(visit);
    else if (entry.address) addresses.push({ address: entry.address.trim().toLowerCase(), name: entry.name ?? '' });
  };
  for (const object of objects) (object?.value ?? []).forEach(visit);
  return addresses;
}

/** `text` is never undefined: HTML-only mail (mailparser#345) or an HTML part too big to convert falls back here. */
function textOf(mail: StreamedMail, html: string | undefined): string {
  if (typeof mail.text === 'string' && mail.text.trim() !== '') return mail.text;
  if (html !== undefined) return htmlToText(html);
  return typeof mail.text === 'string' ? mail.text : '';
}

const BLOCK_TAGS = new Set(['br', 'p', 'div', 'tr', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'blockquote', 'hr']);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * A single linear pass: tags dropped, block tags become line breaks, script and style content skipped.
 * No regex here may backtrack over a long run (a megabyte of spaces must not take minutes).
 */
function htmlToText(html: string): string {
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
  const decoded = out.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => decodeEntity(body) ?? entity);
  const lines: string[] = [];
  for (const line of decoded.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === '' && (lines.length === 0 || lines[lines.length - 1] === '')) continue;
    lines.push(trimmed);
  }
  return lines.join('\n').trim();
}

function decodeEntity(body: string): string | undefined {
  const lower = body.toLowerCase();
  if (lower.startsWith('#')) {
    const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number.parseInt(lower.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return ENTITIES[lower];
}

/** "type/subtype; name=value; ..." lower-cased, from mailparser's parse (comments and folding already gone). */
function contentTypeOf(mail: StreamedMail): string {
  const header = mail.headers?.get('content-type');
  const structured = (Array.isArray(header) ? header[0] : header) as Partial<StructuredHeader> | undefined;
  if (typeof structured?.value !== 'string' || structured.value.trim() === '') return 'text/plain';
  const params = Object.entries(structured.params ?? {}).map(([name, value]) =>
    /^[^\s()<>@,;:\\"/[\]?=]+$/.test(value) ? `${name}=${value}` : `${name}="${value.replace(/"/g, '\\"')}"`,
  );
  return [structured.value.trim(), ...params].join('; ').toLowerCase();
}
