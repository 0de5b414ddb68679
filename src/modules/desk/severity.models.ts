export type Severity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';
export type Priority = 'Urgent' | 'High' | 'Normal' | 'Low';

/** What a ticket gets when the customer named no severity. */
export const DEFAULT_SEVERITY: Severity = 'SEV3';

// SEV1, Sev 1, sev-1, Severity 1, Severity: 1, Severity-1, [SEV1], (SEV1). Matched only where the keyword
// starts (sticky), with bounded gaps: the look-arounds keep out SEV12, ASEV1 and SEV1x while accepting
// "SEV1:" and "[SEV1]Database down". Bare S1/P1 are too ambiguous (sections, priorities, product names) and
// are deliberately not read.
const SEVERITY_AT = /sev(?:erity)?[ \t]{0,3}(?:[:=#_\-\u2013][ \t]{0,3})?([1-4])(?![\p{L}\p{N}])/iuy;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Customers put the severity first; deeper body lines are often a pasted template or an old ticket. */
const BODY_LINES_READ = 5;
/**
 * Only the start of the subject and of each body line is read, and only the start of the body: the work per
 * mail stays bounded whatever the sender writes (a megabyte of spaces after "sev" once took minutes).
 */
const SUBJECT_CHARS = 1_000;
const LINE_CHARS = 1_000;
const BODY_CHARS = 64 * 1024;

/**
 * The severity the customer asked for: the first one in the subject, else the first one in the first
 * few non-empty lines of the new text of the body. The caller passes the body already stripped of
 * quoted history; `>` lines are skipped here as well so a quoted old SEV1 never escalates.
 */
export function readSeverity({ subject, text }: { subject: string; text: string }): Severity | undefined {
  const fromSubject = severityIn(subject.slice(0, SUBJECT_CHARS));
  if (fromSubject) return fromSubject;
  let read = 0;
  const body = text.slice(0, BODY_CHARS);
  let start = 0;
  while (start < body.length) {
    const end = nextLineBreak(body, start);
    const trimmed = body.slice(start, Math.min(end, start + LINE_CHARS)).trim();
    start = end + (body.startsWith('\r\n', end) ? 2 : 1);
    if (trimmed === '' || trimmed.startsWith('>')) continue;
    const found = severityIn(trimmed);
    if (found) return found;
    read += 1;
    if (read >= BODY_LINES_READ) return undefined;
  }
  return undefined;
}

function nextLineBreak(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  const ends = [lf, cr].filter((index) => index >= 0);
  return ends.length === 0 ? text.length : Math.min(...ends);
}

/** Keyword search: each "sev" not glued to a word before it is tried once, with a bounded sticky pattern. */
function severityIn(line: string): Severity | undefined {
  const keyword = /sev/gi;
  for (let found = keyword.exec(line); found; found = keyword.exec(line)) {
    const at = found.index;
    // The last code point before the keyword (a letter outside the BMP is two UTF-16 units).
    const before = Array.from(line.slice(Math.max(0, at - 2), at)).pop() ?? '';
    if (LETTER_OR_DIGIT.test(before)) continue;
    SEVERITY_AT.lastIndex = at;
    const digit = SEVERITY_AT.exec(line)?.[1];
    if (digit) return `SEV${digit}` as Severity;
  }
  return undefined;
}

export function priorityOf(severity: Severity): Priority {
  return PRIORITIES[severity];
}

export function severityMeaning(severity: Severity): string {
  return MEANINGS[severity];
}

const PRIORITIES: Record<Severity, Priority> = { SEV1: 'Urgent', SEV2: 'High', SEV3: 'Normal', SEV4: 'Low' };

const MEANINGS: Record<Severity, string> = {
  SEV1: 'production unusable',
  SEV2: 'production usable but severely compromised',
  SEV3: 'production running with some impact, or development unusable',
  SEV4: 'no production impact',
};
