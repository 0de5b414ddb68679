import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailParser, type AddressObject, type EmailAddress, type HeaderLines, type ParsedMail, type StructuredHeader } from 'mailparser';
import { createError } from '../../shared/errors.js';
import type { Address, InboundMessage } from '../desk/inbound.types.js';
import { chooseBodyText } from './body-text.models.js';
import { readMimeOutline, type MimeOutline } from './mime-outline.js';
import { nameParts, type CollectedPart } from './mime-parts.models.js';
import { trustedReturnPath } from './return-path.models.js';

/** HTML parts longer than this are not converted by mailparser (its converter can take seconds or blow the stack). */
const MAX_HTML_TO_CONVERT = 300_000;

/** Parts up to this size keep their bytes in memory (DSN reports, quoted headers); bigger ones only stream. */
const KEEP_IN_MEMORY_BYTES = 1024 * 1024;
/** Of a bigger forwarded mail (message/rfc822) the head is kept: its subject names the part. */
const KEEP_HEAD_BYTES = 64 * 1024;
/** Forwarded mails inside forwarded mails are read this deep; below that they are only named by type. */
const MAX_EMBEDDED_DEPTH = 2;
/** At most this many forwarded mails of one message are read (a digest can hold hundreds). */
const MAX_EMBEDDED_READ = 20;
/** Each forwarded mail gets at most this long, and never more than what is left of the message's own budget. */
const EMBEDDED_TIMEOUT_MS = 2000;

export type AttachmentSink = () => { stream: Writable; done: Promise<{ sha256: string; size: number }> };

/**
 * Parses one raw RFC 5322 message into an InboundMessage, streaming: attachments go to `attachmentSink`
 * (the attachment store) chunk by chunk and are never buffered whole (freescout#4293, mailparser#186).
 * Throws only coded errors: `intake.parse_timeout` when parsing takes longer than `timeoutMs`,
 * `intake.parse_failed` otherwise.
 */
export async function parseRawMessage(
  raw: Buffer | Readable,
  { timeoutMs = 15000, attachmentSink = hashOnlySink, depth = 0 }: { timeoutMs?: number; attachmentSink?: AttachmentSink; /** of a forwarded mail inside another */ depth?: number } = {},
): Promise<InboundMessage> {
  const details = { bytes: Buffer.isBuffer(raw) ? raw.length : undefined, timeoutMs };
  const deadline = Date.now() + timeoutMs;
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
    await readEmbedded(parsed.attachments, { deadline, depth });
    return normalize(parsed);
  } catch (error) {
    throw createError({ code: 'intake.parse_failed', cause: error, details });
  }
}

const TIMEOUT = Symbol('parse timeout');
const isTimeout = (error: unknown) => error === TIMEOUT;

type StreamedMail = Pick<ParsedMail, 'headers' | 'headerLines' | 'text' | 'html' | 'subject' | 'from' | 'to' | 'cc' | 'replyTo'> & {
  attachments: CollectedPart[];
  outline: MimeOutline;
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
      const part = data as unknown as { content: Readable; filename?: string; contentType?: string; partId?: string | null; headers?: Map<string, unknown>; release(): void };
      const contentType = (part.contentType ?? 'application/octet-stream').toLowerCase();
      const sink = attachmentSink();
      const kept: Buffer[] = [];
      let keptBytes = 0;
      // A forwarded mail bigger than the in-memory limit still keeps its head, for the subject that names it.
      const keepUpTo = contentType === 'message/rfc822' ? KEEP_HEAD_BYTES : 0;
      const keeper = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (keptBytes + chunk.length <= KEEP_IN_MEMORY_BYTES || keptBytes < keepUpTo) kept.push(chunk);
          keptBytes += chunk.length;
          callback(null, chunk);
        },
      });
      pending.push(
        pipeline(part.content, keeper, sink.stream)
          .then(() => sink.done)
          .then(({ sha256, size }) => {
            const whole = keptBytes <= KEEP_IN_MEMORY_BYTES;
            mail.attachments.push({
              filename: part.filename ?? '',
              contentType,
              size,
              sha256,
              content: whole ? Buffer.concat(kept) : undefined,
              partId: part.partId ?? '',
              ...partHeaderFacts(part.headers),
              ...(!whole && keepUpTo > 0 ? { head: Buffer.concat(kept).subarray(0, KEEP_HEAD_BYTES) } : {}),
            });
          })
          .finally(() => part.release()),
      );
    });
    parser.on('error', (error) => settle(error));
    parser.on('end', () => {
      mail.outline = readMimeOutline(parser);
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
  // Parts arrive in the order their streams end; the mail's order is the order of their part numbers.
  mail.attachments.sort((a, b) => comparePartIds(a.partId, b.partId));
  const text = chooseBodyText({ text: mail.text, html, hasPlainBody: mail.outline.hasPlainBody, parts: mail.attachments });
  const { attachments, notes } = nameParts({ parts: mail.attachments, outline: mail.outline, text });
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
    text,
    html,
    attachments,
    headers,
    contentType: contentTypeOf(mail),
    notes,
  };
}

/** What the part's own headers say about its name and charset (mailparser reads them as UTF-8: U+FFFD marks raw 8-bit bytes). */
function partHeaderFacts(headers: Map<string, unknown> | undefined): { raw8bitName: boolean; charset: string | undefined } {
  const params = (name: string) => ((headers?.get(name) as { params?: Record<string, unknown> } | undefined)?.params ?? {});
  const names = [params('content-disposition').filename, params('content-type').name];
  const charset = params('content-type').charset;
  return { raw8bitName: names.some((name) => typeof name === 'string' && name.includes('\ufffd')), charset: typeof charset === 'string' && charset !== '' ? charset : undefined };
}

function comparePartIds(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? -1) - (right[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Reads each forwarded mail (message/rfc822 part) for its subject, which names the part, and its text, which
 * makes it searchable. Bounded: two levels deep, twenty per message, within what is left of the budget, and
 * a forwarded mail that cannot be read is only named by type (it is kept all the same).
 */
async function readEmbedded(parts: CollectedPart[], { deadline, depth }: { deadline: number; depth: number }): Promise<void> {
  if (depth >= MAX_EMBEDDED_DEPTH) return;
  const forwarded = parts.filter((part) => part.contentType === 'message/rfc822' || part.contentType === 'message/global').slice(0, MAX_EMBEDDED_READ);
  for (const part of forwarded) {
    const bytes = part.content ?? part.head;
    const budget = Math.min(EMBEDDED_TIMEOUT_MS, deadline - Date.now());
    // mailparser never settles on an empty embedded message (MAIL-NOTES): nothing to read there anyway.
    if (!bytes || bytes.toString('latin1', 0, 4096).trim() === '' || budget <= 0) continue;
    try {
      const inner = await parseRawMessage(bytes, { timeoutMs: budget, depth: depth + 1 });
      part.embeddedSubject = inner.subject;
      if (part.content) part.text = inner.text;
    } catch {
      // Named by type; the part itself is stored as it came.
    }
  }
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
