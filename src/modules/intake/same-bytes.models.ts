import type { IntakeDecision } from './intake.models.js';

/** An earlier arrival whose raw bytes are exactly those of the mail in hand. */
export type EarlierArrival = { id: number; outcome: IntakeDecision['outcome']; reason: string };

/**
 * The same bytes twice are one record. Mail from a file or stdin (`ticketd ingest`, an MTA pipe retrying after a
 * timeout) whose bytes an earlier arrival already had is that arrival again: nothing is parsed, decided, stored
 * or sent a second time, and the caller answers with the earlier record as a duplicate. IMAP arrivals are not
 * judged here: each UID keeps its own row, because the folder's cursor and the crash-safe "seen before" check
 * depend on it (identical mail that already made a ticket is a `duplicate` there, by Message-ID or content).
 * A reprocess or a release replaces an existing record and is never a repeat.
 */
export function sameBytesAsEarlier({ imapArrival, replacing, earlier }: { imapArrival: boolean; replacing: boolean; earlier: EarlierArrival | undefined }): { outcome: 'duplicate'; reason: string } | undefined {
  if (imapArrival || replacing || earlier === undefined) return undefined;
  return { outcome: 'duplicate', reason: `same bytes as message ${earlier.id}, recorded as ${earlier.outcome}: ${earlier.reason}`.slice(0, 500) };
}
