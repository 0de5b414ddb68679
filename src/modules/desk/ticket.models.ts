import type { Priority, Severity } from './severity.models.js';

/** Where a ticket stands; the transitions between them are the tickets module's (lifecycle.models). */
export type TicketStatus = 'new' | 'open' | 'pending' | 'resolved' | 'closed';

/** A ticket as the modules that act on one (paging, SLA) see it. */
export type TicketSummary = {
  id: number;
  ref: string;
  subject: string;
  severity: Severity;
  priority: Priority;
  status: TicketStatus;
  requesterEmail: string;
  requesterName: string;
};

/** A ticket's ref: the configured prefix and the ticket's number, `CS-12`. */
export function formatTicketRef({ prefix, number }: { prefix: string; number: number }): string {
  return `${prefix}-${number}`;
}

/**
 * A ticket ref in a subject: `[CS-12]`, `CS-12`, `Re: [CS-12]Re:` and text glued to it (`[CS-12]Extra`,
 * osTicket#3528) are all found; `XCS-12` or `CS-123` when looking for 12 are not confused.
 */
export function refInSubject({ subject, prefix }: { subject: string; prefix: string }): string | undefined {
  const pattern = new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(prefix)}-(\\d{1,9})(?!\\d)`, 'i');
  const match = pattern.exec(subject);
  return match ? formatTicketRef({ prefix, number: Number(match[1]) }) : undefined;
}

/**
 * A ref of any of the desk's prefixes (`ticketPrefixes`, the desk's first) in a subject: each prefix is tried in
 * turn with `refInSubject` (one linear regex each), and the first prefix found wins.
 */
export function refInSubjectOf({ subject, prefixes }: { subject: string; prefixes: string[] }): string | undefined {
  for (const prefix of prefixes) {
    const ref = refInSubject({ subject, prefix });
    if (ref) return ref;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
