import type { Readable } from 'node:stream';

/** A message as the mailbox hands it over: its UID and raw RFC 5322 source. */
export type RawMessage = { uid: number; size: number; source: Buffer };

/** `heardAt`: when the server first reported new mail (monotonic clock, `performance.now()`); absent when woken otherwise. */
export type News = { heardAt?: number };

export type MailboxCursor = { uidValidity: string; lastUid: number };

export type Mailbox = {
  /** Connects (or reconnects) and opens the configured folder; resolves with its current UIDVALIDITY. */
  open(args: { signal?: AbortSignal }): Promise<{ uidValidity: string }>;
  /**
   * UIDs strictly greater than `afterUid` (and at most `throughUid`, when given), ascending, with their sizes.
   * Never returns uid <= afterUid.
   * `answersNews`: this listing starts from the cursor, so the news the server reported before it is answered
   * and the next waitForNews waits for newer news. Only a pass's first listing may say so: news reported during
   * it can be about mail the server's old view left out, and a later listing above the cursor cannot see that
   * mail.
   */
  listNewUids(args: { afterUid: number; throughUid?: number; answersNews?: boolean; signal?: AbortSignal }): Promise<Array<{ uid: number; size: number }>>;
  /**
   * Several messages' raw sources into memory with ONE command (small mail: a backlog costs one round trip per
   * batch, not two per message). In UID order; a UID no longer in the folder is left out.
   */
  fetchMany(args: { uids: number[]; signal?: AbortSignal }): Promise<RawMessage[]>;
  /** Streams one message's raw source into `consume`, which must read it to the end before resolving. */
  downloadRaw<T>(args: { uid: number; signal?: AbortSignal; consume: (source: Readable) => Promise<T> }): Promise<T>;
  /** Marks messages handled on the server with one command (moves them to the processed folder, or flags them). */
  markProcessed(args: { uids: number[] }): Promise<void>;
  /**
   * Resolves when the server signals news (IDLE), when `signal` aborts, or the connection drops; with the moment
   * the server first reported new mail since the last listing, if it did.
   */
  waitForNews(args: { signal: AbortSignal }): Promise<News>;
  close(): Promise<void>;
};
