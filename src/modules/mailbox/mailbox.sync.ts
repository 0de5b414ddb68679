import type { Logger } from '../../shared/logger.js';
import type { ArrivalTrace } from '../../shared/stage-trace.js';
import type { BlobRef, BlobStore } from '../store/blob-store.js';
import { mapLimited } from '../../shared/map-limited.js';
import { planDownloads, STORE_CONCURRENCY, type DownloadStep } from './download-plan.models.js';
import type { Mailbox, MailboxCursor } from './mailbox.types.js';

/** One message in the raw store, as the sync hands it to the pipeline. */
export type StoredArrival = { blob: BlobRef; raw?: Buffer; source: string; uidValidity: string; uid: number; trace: ArrivalTrace; fence?: () => Promise<void> };

/** Hands one stored message to the pipeline; it advances the folder's cursor in the same commit as the outcome. */
export type IngestStored = (arrival: StoredArrival) => Promise<unknown>;

/**
 * Hands several stored messages, in UID order, to the pipeline (parsed together, committed in order, several per
 * transaction). A failure stops at that message: `results` are the ones before it, all committed.
 */
export type IngestStoredBatch = (arrivals: StoredArrival[]) => Promise<{ results: unknown[]; error?: unknown }>;

/** UIDs per listing: a listing of 2,000 takes tens of milliseconds, and the pass starts on them at once. */
const LIST_WINDOW = 2000;

/** A download step, fetched and in the raw store, ready for the pipeline. */
type Loaded = { kind: 'stream'; arrival: StoredArrival } | { kind: 'batch'; arrivals: StoredArrival[] };

/**
 * One pass over the watched folder: every message above the stored cursor, in UID order (listed a window of UIDs
 * at a time), is downloaded (small mail in batches with one command, big mail streamed alone: `planDownloads`),
 * stored, ingested (which advances the cursor in the same transaction) and only then marked on the server, one
 * command per batch. While a batch is ingested, the next one is already being fetched and stored (one step
 * ahead, so at most two batches are held in memory; IMAP commands still go one at a time). A failed mark is
 * logged and left: the cursor already skips those UIDs, so no duplicate can follow. A crash before the mark
 * leaves them unmarked on the server, never unrecorded here.
 */
export async function syncMailbox({
  mailbox,
  folder,
  uidValidity,
  ingest,
  ingestBatch,
  rawStore,
  cursorOf,
  logger,
  signal,
  onIngested,
  listWindow = LIST_WINDOW,
  heardAt,
  fence,
}: {
  mailbox: Mailbox;
  folder: string;
  uidValidity: string;
  ingest: IngestStored;
  ingestBatch: IngestStoredBatch;
  rawStore: BlobStore;
  /** Where the last sync of this folder stopped (the stored cursor), if it ever ran. */
  cursorOf: (folder: string) => Promise<MailboxCursor | undefined>;
  logger: Logger;
  signal: AbortSignal;
  onIngested: () => void;
  /** How many UIDs one listing covers. */
  listWindow?: number;
  /** When the server reported the news this pass answers (monotonic clock), for the stage trace. */
  heardAt?: number;
  /** Checked inside the write transaction before anything is recorded; throws when this process may no longer record mail from its source (a lost mailbox lease). */
  fence?: () => Promise<void>;
}): Promise<number> {
  const cursor = await cursorOf(folder);
  if (cursor && cursor.uidValidity !== uidValidity) {
    // The folder was recreated or the server reset it: UIDs mean nothing now. Resync from the start;
    // the intake recognises already-handled mail by Message-ID (or content hash) and records duplicates.
    logger.warn({ folder, was: cursor.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: full resync');
  }
  const afterUid = cursor && cursor.uidValidity === uidValidity ? cursor.lastUid : 0;
  let handled = 0;

  const mark = async (uids: number[]) => {
    try {
      await mailbox.markProcessed({ uids });
    } catch (error) {
      logger.warn({ uids, err: (error as Error).message }, 'stored, but marking on the server failed; the cursor skips them');
    }
  };

  const load = async (step: DownloadStep, listed: ArrivalTrace): Promise<Loaded> => {
    if (step.kind === 'stream') {
      // Streamed straight into the raw store: a 40 MB mail never sits in memory whole.
      const blob = await mailbox.downloadRaw({ uid: step.uid, signal, consume: (source) => rawStore.put(source) });
      return { kind: 'stream', arrival: { blob, source: folder, uidValidity, uid: step.uid, trace: { ...listed, fetchedAt: performance.now() }, ...(fence ? { fence } : {}) } };
    }
    const messages = await mailbox.fetchMany({ uids: step.uids, signal });
    if (messages.length < step.uids.length) {
      const fetched = new Set(messages.map((message) => message.uid));
      logger.warn({ uids: step.uids.filter((uid) => !fetched.has(uid)) }, 'messages listed but gone before they could be fetched (expunged by another client)');
    }
    // The whole batch is stored first, a few files written and flushed at a time (about half the time of one
    // after the other); then it is ingested in UID order, parsed from the bytes already in memory.
    const blobs = await mapLimited(messages, STORE_CONCURRENCY, (message) => rawStore.put(message.source));
    const trace = { ...listed, fetchedAt: performance.now() };
    return { kind: 'batch', arrivals: messages.map((message, index) => ({ blob: blobs[index] as BlobRef, raw: message.source, source: folder, uidValidity, uid: message.uid, trace, ...(fence ? { fence } : {}) })) };
  };

  /** One IMAP command at a time on the connection: the next download and a mark never overlap. */
  let connection: Promise<unknown> = Promise.resolve();
  const onConnection = <T>(task: () => Promise<T>): Promise<T> => {
    const run = connection.then(task, task);
    connection = run.catch(() => undefined);
    return run;
  };

  // The folder is listed a window of UIDs at a time: with 100,000 messages waiting, the first is ingested after
  // one short listing, not after listing them all.
  let after = afterUid;
  let heard = heardAt;
  let first = true;
  while (!signal.aborted) {
    // Only the first listing answers the server's news: news that comes during the pass wakes the next one.
    const answersNews = first;
    first = false;
    let pending = await onConnection(() => mailbox.listNewUids({ afterUid: after, throughUid: after + listWindow, answersNews, signal }));
    if (pending.length === 0) {
      // A whole window without mail: nothing more, or a gap in the UIDs (mail expunged). What lies above, at once.
      pending = await onConnection(() => mailbox.listNewUids({ afterUid: after + listWindow, signal }));
      if (pending.length === 0) break;
    }
    // Only the first window answers the news; a later one was waiting already (a backlog).
    const listed: ArrivalTrace = { ...(heard === undefined ? {} : { heardAt: heard }), listedAt: performance.now() };
    heard = undefined;
    await ingestSteps(planDownloads(pending), listed);
    after = (pending.at(-1) as { uid: number }).uid;
  }
  return handled;

  /** The steps of one window, each downloaded while the one before it is ingested. */
  async function ingestSteps(steps: DownloadStep[], listed: ArrivalTrace): Promise<void> {
    /** The next step's download, started while the current one is ingested; never left rejected unobserved. */
    let ahead: Promise<Loaded> | undefined;
    const startLoad = (index: number): Promise<Loaded> | undefined => {
      const step = steps[index];
      if (!step) return undefined;
      const loading = onConnection(() => load(step, listed));
      loading.catch(() => undefined);
      return loading;
    };
    ahead = startLoad(0);
    try {
      for (let index = 0; index < steps.length && ahead; index += 1) {
        if (signal.aborted) break;
        const loaded = await ahead;
        ahead = signal.aborted ? undefined : startLoad(index + 1);
        const done: number[] = [];
        try {
          if (loaded.kind === 'stream') {
            await ingest(loaded.arrival);
            done.push(loaded.arrival.uid);
          } else {
            const { results, error } = await ingestBatch(loaded.arrivals);
            done.push(...loaded.arrivals.slice(0, results.length).map((arrival) => arrival.uid));
            if (error !== undefined) throw error;
          }
        } finally {
          // Also after a failure mid-batch: what was ingested is marked, and the outbox hears of it.
          handled += done.length;
          if (done.length > 0) {
            onIngested();
            await onConnection(() => mark(done));
          }
        }
      }
    } finally {
      // A failure or a stop leaves no download running behind the pass on this connection.
      if (ahead) await ahead.catch(() => undefined);
    }
  }
}
