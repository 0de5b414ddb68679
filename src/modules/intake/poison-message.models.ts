import { describeError } from '../../shared/errors.js';
import type { BlobRef } from '../store/blob-store.js';

/** Failed commits of one arrival, with the database otherwise working, before its next try records it quarantined. */
export const POISON_STRIKES = 3;
/** Arrivals remembered at most: a failure not seen again for so long is forgotten first. */
const MAX_TRACKED = 1000;
const MAX_REASON_CHARS = 400;

/** `operator`: a reprocess or release, whose failure goes back to the operator and is never counted. */
export type PoisonKey = { source: string; uidValidity?: string | undefined; uid?: number | undefined; blob: BlobRef; operator?: boolean };

/**
 * A message whose commit fails the same way at every try (a value the database refuses, a bug on one message's
 * path) must not block its mailbox: the sync starts again from it at every pass, and nothing after it is ingested
 * (found with a NUL byte on PostgreSQL, BENCHMARKS.md). This counts, per arrival (its source, UID and bytes), the
 * commits that failed while the transaction around them committed (so the database itself was working: an outage
 * or a lost lease is never counted). Once an arrival has `strikes` of them, `isPoison` says its next try is to be
 * recorded quarantined instead. In memory: a restart gives a message its tries again, and loses nothing.
 */
export function createPoisonGuard({ strikes = POISON_STRIKES, maxTracked = MAX_TRACKED }: { strikes?: number; maxTracked?: number } = {}) {
  const counts = new Map<string, number>();
  const keyOf = ({ source, uidValidity, uid, blob }: PoisonKey) => `${source}\n${uidValidity ?? ''}\n${uid ?? ''}\n${blob.sha256}`;

  /** This arrival's commit failed, and the transaction around it did not. */
  function struck(arrival: PoisonKey): void {
    if (arrival.operator) return;
    const key = keyOf(arrival);
    const count = (counts.get(key) ?? 0) + 1;
    counts.delete(key); // re-inserted last: the oldest entries are dropped first
    counts.set(key, count);
    if (counts.size > maxTracked) counts.delete(counts.keys().next().value as string);
  }

  /** A transaction committed: `settled` were recorded (forgotten here), `failed`, if any, failed inside it. */
  function afterCommit({ settled, failed }: { settled: PoisonKey[]; failed: PoisonKey | undefined }): void {
    if (counts.size > 0) for (const arrival of settled) counts.delete(keyOf(arrival));
    if (failed) struck(failed);
  }

  function strikesOf(arrival: PoisonKey): number {
    return counts.get(keyOf(arrival)) ?? 0;
  }

  /** Its next try is recorded quarantined instead. */
  function isPoison(arrival: PoisonKey): boolean {
    return !arrival.operator && strikesOf(arrival) >= strikes;
  }

  return { afterCommit, isPoison, strikesOf };
}

export type PoisonGuard = ReturnType<typeof createPoisonGuard>;

/**
 * The reason recorded for a message quarantined after failed commits: the error's code and message (not its
 * detail, where a database may quote the offending value), on one line, bounded.
 */
export function poisonReason(failure: unknown, strikes: number): string {
  const text = describeError(failure).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return `commit-failed: ${strikes} tries failed, the last with: ${text}`.slice(0, MAX_REASON_CHARS);
}
