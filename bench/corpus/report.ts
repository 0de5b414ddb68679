/**
 * The corpus figures as a Markdown table for BENCHMARKS.md, with the same figures as JSON in an HTML comment
 * that test/corpus-report.corpus.test.ts reads back (so the table a person reads is the one the test holds).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { CorpusReport, ExpectedReply, FolderFigures } from './measure.js';

export const BEGIN = '<!-- corpus:begin (written by `npm run corpus`; edit outside these markers) -->';
export const END = '<!-- corpus:end -->';
const FIGURES = /<!-- corpus-figures (\{.*\}) -->/;

const cell = (value: number | undefined, suffix = ' %') => (value === undefined ? '' : `${value}${suffix}`);

export function renderCorpusReport(report: CorpusReport, { at = new Date() }: { at?: Date } = {}): string {
  const rows = report.folders.map((row) =>
    [
      `\`${row.folder}\``,
      row.messages,
      cell(row.parsed),
      cell(row.fields),
      row.attachments === undefined ? '' : `${cell(row.attachmentsNamed)} of ${row.attachments}`,
      cell(row.bodyText),
      row.labelled === undefined || row.labelled === 0 ? '' : `${cell(row.classified)} of ${row.labelled}`,
      cell(row.replyText),
    ].join(' | '),
  );
  const figures = Object.fromEntries(report.folders.map((row) => [row.folder, pickFigures(row)]));
  return [
    BEGIN,
    '',
    `Measured ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run corpus\` in ${report.seconds.toFixed(1)} s on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}.`,
    '',
    '| Folder | Messages | Parsed | From, Subject, Message-ID, Date read | Attachments with a filename | Body text not empty (mail with a readable part) | Classified as expected | Reply text equal to the expected text |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    `<!-- corpus-figures ${JSON.stringify(figures)} -->`,
    '',
    END,
  ].join('\n');
}

function pickFigures(row: FolderFigures): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const key of ['parsed', 'fields', 'attachmentsNamed', 'bodyText', 'classified', 'replyText'] as const) {
    const value = row[key];
    if (value !== undefined && !(key === 'classified' && !row.labelled)) picked[key] = value;
  }
  return picked;
}

/** The figures last written into BENCHMARKS.md, by folder. */
export function recordedFigures(markdown: string): Record<string, Record<string, number>> {
  const match = FIGURES.exec(markdown);
  if (!match?.[1]) throw new Error('BENCHMARKS.md has no corpus figures: run `npm run corpus`');
  return JSON.parse(match[1]) as Record<string, Record<string, number>>;
}

/** Replaces the corpus section of BENCHMARKS.md (or appends one). */
export function writeCorpusSection(file: string, section: string): void {
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next = begin >= 0 && end > begin ? `${text.slice(0, begin)}${section}${text.slice(end + END.length)}` : `${text.trimEnd()}\n\n## Real mail: the corpus report\n\n${section}\n`;
  writeFileSync(file, next);
}

export function loadExpectedReplies(file: string): Record<string, ExpectedReply> {
  return (JSON.parse(readFileSync(file, 'utf8')) as { expected: Record<string, ExpectedReply> }).expected;
}
