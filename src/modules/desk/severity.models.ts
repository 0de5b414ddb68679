export type Severity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';
export type Priority = 'Urgent' | 'High' | 'Normal' | 'Low';

/** What a ticket gets when the customer named no severity. */
export const DEFAULT_SEVERITY: Severity = 'SEV3';

// SEV1, Sev 1, sev-1, Severity 1, Severity: 1, Severity-1, [SEV1], (SEV1). The look-arounds keep out
// SEV12, ASEV1 and SEV1x while accepting "SEV1:" and "[SEV1]Database down". Bare S1/P1 are too
// ambiguous (sections, priorities, product names) and are deliberately not read.
const SEVERITY_PATTERN = /(?<![\p{L}\p{N}])sev(?:erity)?[ \t]*[:=#_\-\u2013]?[ \t]*([1-4])(?![\p{L}\p{N}])/iu;

/** Customers put the severity first; deeper body lines are often a pasted template or an old ticket. */
const BODY_LINES_READ = 5;

/**
 * The severity the customer asked for: the first one in the subject, else the first one in the first
 * few non-empty lines of the new text of the body. The caller passes the body already stripped of
 * quoted history; `>` lines are skipped here as well so a quoted old SEV1 never escalates.
 */
export function readSeverity({ subject, text }: { subject: string; text: string }): Severity | undefined {
  const fromSubject = severityIn(subject);
  if (fromSubject) return fromSubject;
  let read = 0;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('>')) continue;
    const found = severityIn(trimmed);
    if (found) return found;
    read += 1;
    if (read >= BODY_LINES_READ) return undefined;
  }
  return undefined;
}

function severityIn(line: string): Severity | undefined {
  const digit = SEVERITY_PATTERN.exec(line)?.[1];
  return digit ? (`SEV${digit}` as Severity) : undefined;
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
