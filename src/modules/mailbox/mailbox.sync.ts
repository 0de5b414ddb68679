import type { Logger } from '../../shared/logger.js';
import type { Intake } from '../intake/intake.usecases.js';
import type { IntakeRepository } from '../intake/intake.repository.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Mailbox } from './mailbox.types.js';

/**
 * One pass over the watched folder: every message above the stored cursor, in UID order, is downloaded,
 * ingested (which advances the cursor in the same transaction) and only then marked on the server.
 * A failed mark is logged and left: the cursor already skips that UID, so no duplicate can follow.
 */
export async function syncMailbox({
  mailbox,
  folder,
  uidValidity,
  intake,
  rawStore,
  intakeRepository,
  logger,
  signal,
  onIngested,
}: {
  mailbox: Mailbox;
  folder: string;
  uidValidity: string;
  intake: Intake;
  rawStore: BlobStore;
  intakeRepository: IntakeRepository;
  logger: Logger;
  signal: AbortSignal;
  onIngested: () => void;
}): Promise<number> {
  const cursor = intakeRepository.getCursor(folder);
  if (cursor && cursor.uidValidity !== uidValidity) {
    // The folder was recreated or the server reset it: UIDs mean nothing now. Resync from the start;
    // the intake recognises already-handled mail by Message-ID (or content hash) and records duplicates.
    logger.warn({ folder, was: cursor.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: full resync');
  }
  const afterUid = cursor && cursor.uidValidity === uidValidity ? cursor.lastUid : 0;
  const pending = await mailbox.listNewUids({ afterUid, signal });
  let handled = 0;
  for (const { uid } of pending) {
    if (signal.aborted) break;
    // Streamed straight into the raw store: a 40 MB mail never sits in memory whole.
    const blob = await mailbox.downloadRaw({ uid, signal, consume: (source) => rawStore.put(source) });
    const result = await intake.ingestStored({ blob, source: folder, uidValidity, uid });
    handled += 1;
    onIngested();
    try {
      await mailbox.markProcessed({ uid });
    } catch (error) {
      logger.warn({ uid, err: (error as Error).message, inboundId: result.inboundId }, 'stored, but marking on the server failed; the cursor skips it');
    }
  }
  return handled;
}
