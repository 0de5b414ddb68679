import type { TicketStatus } from '../desk/ticket.models.js';
import type { Severity } from '../desk/severity.models.js';

export type LifecycleEvent =
  /** An engineer's public reply reached the customer. */
  | { kind: 'engineer-reply' }
  /** The customer (or a colleague) wrote on the ticket. */
  | { kind: 'customer-reply' }
  /** Engineers' commands; they may move a ticket anywhere, reopening a closed one included. */
  | { kind: 'pending' }
  | { kind: 'resolve' }
  | { kind: 'close' }
  /** The auto-close job, for a resolved ticket whose time is up. */
  | { kind: 'auto-close' };

/**
 * `new` -> `open` (an engineer replied) -> `pending` (waiting on the customer) -> `resolved` -> `closed`.
 * A customer reply reopens a pending or resolved ticket; on a closed ticket it never arrives here (intake
 * opens a new ticket linked to it instead).
 */
export function nextStatus(status: TicketStatus, event: LifecycleEvent): TicketStatus {
  switch (event.kind) {
    case 'engineer-reply':
      return status === 'new' ? 'open' : status;
    case 'customer-reply':
      return status === 'pending' || status === 'resolved' ? 'open' : status;
    case 'pending':
      return 'pending';
    case 'resolve':
      return 'resolved';
    case 'close':
      return 'closed';
    case 'auto-close':
      return status === 'resolved' ? 'closed' : status;
  }
}

/** A resolved ticket closes once `autoCloseDays` have passed since it was resolved. */
export function isDueForAutoClose({ status, resolvedAt, now, autoCloseDays }: { status: TicketStatus; resolvedAt: Date | null; now: Date; autoCloseDays: number }): boolean {
  if (status !== 'resolved' || resolvedAt === null) return false;
  return now.getTime() - resolvedAt.getTime() >= autoCloseDays * 86_400_000;
}

/** The oldest resolution time that is due now (for the repository's query). */
export function autoCloseCutoff({ now, autoCloseDays }: { now: Date; autoCloseDays: number }): Date {
  return new Date(now.getTime() - autoCloseDays * 86_400_000);
}

const RANK: Record<Severity, number> = { SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4 };

/**
 * What a requested severity does to a ticket: customers may only raise it (a follow-up saying "SEV1" in its
 * new text escalates and pages again); engineers set it either way. `raised` asks for a new page.
 */
export function severityChange({ current, requested, by }: { current: Severity; requested: Severity | undefined; by: 'customer' | 'engineer' }): { severity: Severity; raised: boolean } | undefined {
  if (requested === undefined || requested === current) return undefined;
  const raised = RANK[requested] < RANK[current];
  if (!raised && by === 'customer') return undefined;
  return { severity: requested, raised };
}
