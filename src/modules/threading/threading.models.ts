/**
 * Message-IDs a reply names, most specific first: In-Reply-To, then References from the newest (last) back.
 * Duplicates are dropped, so a reference loop or a repeated id costs nothing.
 */
export function candidateParentIds({ inReplyTo, references }: { inReplyTo: string[]; references: string[] }): string[] {
  return [...new Set([...inReplyTo, ...[...references].reverse()])];
}

/**
 * A ticket ref in a subject: `[CS-12]`, `CS-12`, `Re: [CS-12]Re:` and text glued to it (`[CS-12]Extra`,
 * osTicket#3528) are all found; `XCS-12` or `CS-123` when looking for 12 are not confused.
 */
export function refInSubject({ subject, prefix }: { subject: string; prefix: string }): string | undefined {
  const pattern = new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(prefix)}-(\\d{1,9})(?!\\d)`, 'i');
  const match = pattern.exec(subject);
  return match ? `${prefix}-${Number(match[1])}` : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
