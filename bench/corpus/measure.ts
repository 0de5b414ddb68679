/**
 * How each folder of the real-mail corpus (../shared/corpus: mail nobody here wrote) fares through the
 * pipeline's pure steps: parse (fields, attachments, body text), classify (bounces, auto-replies, reports)
 * and the reply-text extraction. Shared by `npm run corpus` (which writes the figures into BENCHMARKS.md)
 * and test/corpus-report.corpus.test.ts (which keeps every figure from going down).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { classifyMessage, type MailKind } from '../../src/modules/intake/classify.models.js';
import { parseRawMessage } from '../../src/modules/intake/parse.js';
import type { InboundMessage } from '../../src/modules/desk/inbound.types.js';

export type FolderFigures = {
  folder: string;
  messages: number;
  /** Parsed without an error, in percent of the messages. */
  parsed?: number;
  /** From, Subject, Message-ID and Date all read, in percent of the parsed messages. */
  fields?: number;
  /** Parts kept as attachments, and how many of them have a filename (percent). */
  attachments?: number;
  attachmentsNamed?: number;
  /** Parsed messages whose body text is not empty (percent), among those with any readable part. */
  bodyText?: number;
  /** Classified as expected (bounce, auto-reply, report, or ordinary), percent of the labelled messages. */
  classified?: number;
  labelled?: number;
  /** Reply text equal to the expected text, percent of the reply bodies. */
  replyText?: number;
};

export type CorpusReport = { folders: FolderFigures[]; replyMisses: string[]; seconds: number };

/** Figures where more is better: the test compares each against BENCHMARKS.md. */
export const FIGURE_KEYS = ['parsed', 'fields', 'attachmentsNamed', 'bodyText', 'classified', 'replyText'] as const;

const MESSAGE_FOLDERS = ['bounces-sisimai/maildir/bsd', 'bounces-sisimai/maildir/dos', 'bounces-sisimai/maildir/err', 'bounces-sisimai/maildir/not', 'mime-mailparser', 'mime-mimekit'];
const REPLY_FOLDERS = ['replies-email_reply_parser/emails', 'replies-willdurand/Fixtures'];

/** The MIME corpora's reports (DSNs, read receipts, an abuse report); everything else there is person-written. */
export const MIME_REPORTS = new Set([
  'mime-mailparser/delivery-status.eml',
  'mime-mimekit/bounce.txt',
  'mime-mimekit/delivery-status.txt',
  'mime-mimekit/delivery-status2.txt',
  'mime-mimekit/delivery-status-no-blank-line.txt',
  'mime-mimekit/delivery-status-multiple-blank-lines.txt',
  'mime-mimekit/delivery-status.anonymized.eml',
  'mime-mimekit/disposition-notification.txt',
  'mime-mimekit/disposition-notification.anonymized.eml',
  'mime-mimekit/feedback-report.txt',
]);

type Expectation = { recipients: Array<{ reason: string }> };

/** sisimai's reasons: vacation = auto-reply, feedback = abuse report, delivered = success DSN, all else a bounce. */
function expectedKind({ recipients }: Expectation): MailKind {
  const reasons = recipients.map((recipient) => recipient.reason);
  if (reasons.includes('vacation')) return 'auto-reply';
  if (reasons.includes('feedback')) return 'feedback';
  if (reasons.includes('delivered')) return 'delivery-notice';
  return 'bounce';
}

function messageFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !/^(LICENSE|README)/i.test(name) && !/\.(json|md)$/i.test(name))
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .sort();
}

const percent = (part: number, whole: number) => (whole === 0 ? 100 : Math.floor((part / whole) * 1000) / 10);

/** Does any part of the message hold text a person could read (a text part, HTML, a forwarded mail)? */
function hasReadablePart(message: InboundMessage): boolean {
  if (message.text.trim() !== '' || (message.html ?? '').trim() !== '') return true;
  return message.attachments.some((part) => /^(text\/(plain|html)|message\/rfc822)/.test(part.contentType) && (part.content?.length ?? 0) > 0);
}

export type ReplyExtractor = (text: string) => string;
/** The expected text, or for a long one its sha256 and length (bench/corpus/replies.expected.json). */
export type ExpectedReply = string | { sha256: string; chars: number };

function matches(got: string, want: ExpectedReply): boolean {
  if (typeof want === 'string') return got === want;
  return got.length === want.chars && createHash('sha256').update(got).digest('hex') === want.sha256;
}

export async function measureCorpus({ corpusDir, newTextOf, expectedReplies }: { corpusDir: string; newTextOf: ReplyExtractor; expectedReplies: Record<string, ExpectedReply> }): Promise<CorpusReport> {
  const started = performance.now();
  const expected = (JSON.parse(readFileSync(path.join(corpusDir, 'bounces-sisimai/EXPECTED.json'), 'utf8')) as { expected: Record<string, Expectation> }).expected;
  const folders: FolderFigures[] = [];
  for (const folder of MESSAGE_FOLDERS) {
    const files = messageFiles(path.join(corpusDir, folder));
    const tally = { parsed: 0, fields: 0, attachments: 0, named: 0, readable: 0, withText: 0, labelled: 0, classified: 0 };
    for (const name of files) {
      let message: InboundMessage;
      try {
        message = await parseRawMessage(readFileSync(path.join(corpusDir, folder, name)));
      } catch {
        continue;
      }
      tally.parsed += 1;
      if (message.from?.address && message.subject.trim() !== '' && message.messageId && message.date) tally.fields += 1;
      tally.attachments += message.attachments.length;
      tally.named += message.attachments.filter((part) => part.filename.trim() !== '').length;
      if (hasReadablePart(message)) {
        tally.readable += 1;
        if (message.text.trim() !== '') tally.withText += 1;
      }
      const want = labelOf({ folder, name, expected });
      if (want !== undefined) {
        tally.labelled += 1;
        const kind = classifyMessage(message).kind;
        if (want === 'report' ? kind !== 'ordinary' : kind === want) tally.classified += 1;
      }
    }
    folders.push({
      folder,
      messages: files.length,
      parsed: percent(tally.parsed, files.length),
      fields: percent(tally.fields, tally.parsed),
      attachments: tally.attachments,
      attachmentsNamed: percent(tally.named, tally.attachments),
      bodyText: percent(tally.withText, tally.readable),
      labelled: tally.labelled,
      classified: percent(tally.classified, tally.labelled),
    });
  }
  const replyMisses: string[] = [];
  for (const folder of REPLY_FOLDERS) {
    const files = messageFiles(path.join(corpusDir, folder));
    let equal = 0;
    for (const name of files) {
      const key = `${folder}/${name}`;
      const want = expectedReplies[key];
      if (want === undefined) throw new Error(`no expected reply text for ${key} (bench/corpus/replies.expected.json)`);
      const got = newTextOf(readFileSync(path.join(corpusDir, folder, name), 'utf8'));
      if (matches(got, want)) equal += 1;
      else replyMisses.push(key);
    }
    folders.push({ folder, messages: files.length, replyText: percent(equal, files.length) });
  }
  return { folders, replyMisses, seconds: (performance.now() - started) / 1000 };
}

/** The kind a message should get; `report`: any kind but ordinary (a DSN, a read receipt, an abuse report). */
function labelOf({ folder, name, expected }: { folder: string; name: string; expected: Record<string, Expectation> }): MailKind | 'report' | undefined {
  // sisimai files rb-issue-368-bug under "not a bounce", yet it comes from postmaster@ with Return-Path <> and
  // says "rejected ... Mailbox full": for a helpdesk it is a bounce (as intake/classify.models.corpus.test.ts holds).
  if (folder.endsWith('/not')) return name === 'rb-issue-368-bug.eml' ? 'bounce' : 'ordinary';
  if (folder.startsWith('bounces-sisimai/')) {
    const expectation = expected[name];
    return expectation ? expectedKind(expectation) : undefined;
  }
  return MIME_REPORTS.has(`${folder}/${name}`) ? 'report' : 'ordinary';
}
