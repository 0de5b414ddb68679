import type { Logger } from '../../shared/logger.js';
import type { BlobRef, BlobStore } from '../store/blob-store.js';
import { mapLimited } from '../../shared/map-limited.js';
import { planDownloads, STORE_CONCURRENCY } from './download-plan.models.js';
import type { Mailbox, MailboxCursor } from './mailbox.types.js';

/** Hands one stored message to the pipeline; it advances the folder's cursor in the same commit as the outcome. */
export type IngestStored = (arrival: { blob: BlobRef; raw?: Buffer; source: string; uidValidity: string; uid: number }) => Promise<unknown>;

/**
 * One pass over the watched folder: every message above the stored cursor, in UID order, is downloaded
 * (small mail in batches with one command, big mail streamed alone: `planDownloads`), stored, ingested (which
 * advances the cursor in the same transaction) and only then marked on the server, one command per batch.
 * A failed mark is logged and left: the cursor already skips those UIDs, so no duplicate can follow. A crash
 * before the mark leaves them unmarked on the server, never unrecorded here.
 */
export async function syncMailbox({
  mailbox,
  folder,
  uidValidity,
  ingest,
  rawStore,
  cursorOf,
  logger,
  signal,
  onIngested,
}: {
  mailbox: Mailbox;
  folder: string;
  uidValidity: string;
  ingest: IngestStored;
  rawStore: BlobStore;
  /** Where the last sync of this folder stopped (the stored cursor), if it ever ran. */
  cursorOf: (folder: string) => MailboxCursor | undefined;
  logger: Logger;
  signal: AbortSignal;
  onIngested: () => void;
}): Promise<number> {
  const cursor = cursorOf(folder);
  if (cursor && cursor.uidValidity !== uidValidity) {
    // The folder was recreated or the server reset it: UIDs mean nothing now. Resync from the start;
    // the intake recognises already-handled mail by Message-ID (or content hash) and records duplicates.
    logger.warn({ folder, was: cursor.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: full resync');
  }
  const afterUid = cursor && cursor.uidValidity === uidValidity ? cursor.lastUid : 0;
  const pending = await mailbox.listNewUids({ afterUid, signal });
  let handled = 0;

  const mark = async (uids: number[]) => {
    try {
      await mailbox.markProcessed({ uids });
    } catch (error) {
      logger.warn({ uids, err: (error as Error).message }, 'stored, but marking on the server failed; the cursor skips them');
    }
  };

  for (const step of planDownloads(pending)) {
    if (signal.aborted) break;
    const done: number[] = [];
    try {
      if (step.kind === 'stream') {
        // Streamed straight into the raw store: a 40 MB mail never sits in memory whole.
        const blob = await mailbox.downloadRaw({ uid: step.uid, signal, consume: (source) => rawStore.put(source) });
        await ingest({ blob, source: folder, uidValidity, uid: step.uid });
        done.push(step.uid);
        handled += 1;
        onIngested();
      } else {
        const messages = await mailbox.fetchMany({ uids: step.uids, signal });
        if (messages.length < step.uids.length) {
          const fetched = new Set(messages.map((message) => message.uid));
          logger.warn({ uids: step.uids.filter((uid) => !fetched.has(uid)) }, 'messages listed but gone before they could be fetched (expunged by another client)');
        }
        // The whole batch is stored first, a few files written and flushed at a time (about half the time of one
        // after the other); then each is ingested in UID order, parsed from the bytes already in memory.
        const blobs = await mapLimited(messages, STORE_CONCURRENCY, (message) => rawStore.put(message.source));
        for (const [index, message] of messages.entries()) {
          const blob = blobs[index] as BlobRef;
          await ingest({ blob, raw: message.source, source: folder, uidValidity, uid: message.uid });
          done.push(message.uid);
          handled += 1;
          onIngested();
          if (signal.aborted) break;
        }
      }
    } finally {
      // Also after a failure mid-batch: what was ingested is marked.
      if (done.length > 0) await mark(done);
    }
  }
  return handled;
}
