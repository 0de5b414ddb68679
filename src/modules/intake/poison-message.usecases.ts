import type { Db } from '../../shared/db.js';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { InboundLogRepository } from '../inbound-log/inbound-log.repository.js';
import type { BlobRef } from '../store/blob-store.js';
import { poisonReason, type PoisonGuard } from './poison-message.models.js';

export type PoisonArrival = { source: string; uidValidity?: string | undefined; uid?: number | undefined; blob: BlobRef; receivedAt: Date };

/**
 * Records a message whose commit failed `POISON_STRIKES` times (poison-message.models.ts) as quarantined, with the
 * last error as its reason, and moves its folder's cursor past it, in a savepoint of the caller's transaction.
 * Nothing read from the mail is written (its Message-ID, From or Subject may be what the database refused); its
 * raw bytes stay in the raw store, so `ticketd quarantine release` or `reprocess` can try it again after a fix.
 * Answers undefined when even that fails: the caller keeps the original error and the message is tried again.
 */
export function createPoisonRecorder({ db, inboundLog, guard, logger }: { db: Db; inboundLog: InboundLogRepository; guard: PoisonGuard; logger: Logger }) {
  async function quarantineInstead(arrival: PoisonArrival, failure: unknown): Promise<{ inboundId: number; reason: string } | undefined> {
    const { source, uidValidity, uid, blob, receivedAt } = arrival;
    const reason = poisonReason(failure, guard.strikesOf(arrival) + 1);
    try {
      const inboundId = await db.transaction(async () => {
        const inbound = await inboundLog.insertInbound({ source, uidValidity: uidValidity ?? null, uid: uid ?? null, rawSha256: blob.sha256, size: blob.size, outcome: 'quarantined', reason, ticketId: null, receivedAt });
        if (uidValidity !== undefined && uid !== undefined) await inboundLog.saveCursor({ mailbox: source, uidValidity, lastUid: uid, at: receivedAt });
        return inbound.id;
      });
      logger.error({ inboundId, source, uid, sha256: blob.sha256, reason }, 'message quarantined: its commit failed at every try; the mailbox goes on past it');
      return { inboundId, reason };
    } catch (second) {
      logger.error({ source, uid, err: describeError(second) }, 'a message that keeps failing could not be recorded quarantined either; it is tried again');
      return undefined;
    }
  }
  return { quarantineInstead };
}
