import { systemClock, type Clock } from '../../shared/clock.js';
import { createError, describeError, isTicketdError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { ownerIsGone, processAlive, processOwner } from '../../shared/process-owner.js';
import type { MailSender } from '../mail-out/mail-out.types.js';
import type { WebhookSender } from '../pager/drivers/webhook.pager-driver.js';
import type { Pager } from '../pager/pager.types.js';
import type { OutboxItem, OutboxRepository } from './outbox.repository.js';
import { decideAfterAttempt } from './retry.models.js';
import { hasUnopenedPlaceholder, openSealedMail, type LinkSealer } from './sealed-links.models.js';

/** Deliveries a person waits on: sent before the mail of the same round. */
const URGENT: Array<OutboxItem['kind']> = ['page', 'webhook'];

/**
 * Delivers outbox rows: one pass at a time (passes never overlap), woken by `nudge()` after an ingest or by
 * its own timer. A retryable failure is rescheduled with backoff; a permanent one becomes a dead letter.
 *
 * No transaction is held across a delivery: each repository call below is one statement in its own short
 * write, and the network call happens between them. A row is taken by `claimNext`, one UPDATE that picks the
 * next due row nobody holds and leases it (on PostgreSQL with SKIP LOCKED, so instances draining one outbox take
 * different rows), and nothing else here relies on two calls in a row seeing the same database.
 */
export function createOutboxWorker({
  repository,
  mailSender,
  pager,
  webhook,
  clock = systemClock,
  logger = createSilentLogger(),
  maxAttempts,
  maxAgeMs,
  pollMs,
  leaseMs = 5 * 60_000,
  backoff,
  owner = processOwner(),
  isProcessAlive = processAlive,
  lapsedOwners = async () => [],
  onAttempt,
  linkSealer,
}: {
  repository: OutboxRepository;
  mailSender: MailSender;
  pager: Pager | undefined;
  webhook?: WebhookSender | undefined;
  clock?: Clock;
  logger?: Logger;
  maxAttempts: number;
  maxAgeMs: number;
  pollMs: number;
  /** Longer than any single delivery can take (SMTP and HTTP timeouts included). */
  leaseMs?: number;
  backoff?: { baseMs: number; capMs: number };
  owner?: string;
  isProcessAlive?: (pid: number) => boolean;
  /**
   * Owners known to be dead on any host: instances whose presence (the `instances` table, renewed every few
   * seconds) ran out without a clean stop. Their deliveries are taken back then, not when the lease runs out.
   */
  lapsedOwners?: (now: Date) => Promise<string[]>;
  /** Opens the sealed links of verification and password mails just before they are sent. */
  linkSealer?: LinkSealer;
  /** Told the result of every delivery attempt (metrics). */
  onAttempt?: (attempt: { kind: OutboxItem['kind']; result: 'sent' | 'retry' | 'failed'; createdAt: Date; at: Date }) => void;
}) {
  let running = false;
  let wake: (() => void) | undefined;
  let nudged = false;
  let loop: Promise<void> | undefined;

  async function deliver(item: OutboxItem): Promise<void> {
    if (item.payload.kind === 'email') {
      const { mail, sealed } = item.payload;
      if (sealed && sealed.length > 0) {
        if (!linkSealer) throw createError({ code: 'outbox.sealed_without_key', message: 'this mail carries a sealed link but the worker has no link key', retryable: false });
        await mailSender.send(openSealedMail(mail, sealed, linkSealer));
      } else if (hasUnopenedPlaceholder(mail)) {
        throw createError({ code: 'outbox.sealed_forgotten', message: 'the link in this mail was forgotten after it was sent once; the person must ask for a new one', retryable: false });
      } else await mailSender.send(mail);
    } else if (item.payload.kind === 'webhook') {
      if (!webhook) throw createError({ code: 'webhook.not_configured', message: 'a webhook event is queued but webhook.url is empty', retryable: false });
      await webhook.send(item.payload.event);
    } else {
      if (!pager) throw createError({ code: 'pager.not_configured', message: 'a page is queued but pager.kind is none', retryable: false });
      await pager.send(item.payload.event);
    }
  }

  /**
   * A worker killed mid-delivery leaves its lease behind; if that process is gone (same host) or its instance's
   * presence lapsed (any host), its rows are free again now rather than when the lease runs out. The attempt in
   * flight may have been sent: at most one duplicate, with the same Message-ID / dedup_key. The release is one
   * UPDATE by owner: a lease that owner no longer holds is not touched, so no transaction is needed around the
   * read of the owners.
   */
  async function releaseDeadLeases(): Promise<void> {
    const now = clock.now();
    const active = await repository.activeLeaseOwners({ now });
    if (active.length === 0) return;
    const lapsed = new Set(await lapsedOwners(now));
    for (const leaseOwner of active) {
      if (leaseOwner !== owner && (lapsed.has(leaseOwner) || ownerIsGone(leaseOwner, owner, isProcessAlive))) {
        const released = await repository.releaseLeasesOf(leaseOwner);
        logger.warn({ leaseOwner, released }, 'released deliveries leased by a process that is gone');
      }
    }
  }

  /** Sends every due row once; returns how many were attempted. */
  async function runOnce({ shouldContinue = () => true }: { shouldContinue?: () => boolean } = {}): Promise<number> {
    let attempted = 0;
    await releaseDeadLeases();
    // Each row at most once per pass: a retry due again at once waits for the next pass.
    const tried: number[] = [];
    for (;;) {
      if (!shouldContinue()) return attempted;
      // Pages and webhooks before mail at every step: someone is woken by them, and a confirmation to a slow mail
      // server must not hold a page up. One UPDATE, committed before the delivery starts: the lease is what keeps
      // other workers off the row.
      const claim = { now: clock.now(), leaseMs, owner, except: tried };
      const item = (await repository.claimNext({ ...claim, kinds: URGENT })) ?? (await repository.claimNext({ ...claim, kinds: ['email'] }));
      if (!item) return attempted;
      tried.push(item.id);
      attempted += 1;
      let failure: unknown;
      const started = performance.now();
      try {
        await deliver(item);
      } catch (error) {
        failure = error;
      }
      const retryable = failure === undefined ? false : isTicketdError(failure) ? failure.retryable : true;
      const verdict = decideAfterAttempt({
        error: failure === undefined ? undefined : { retryable },
        attempts: item.attempts + 1,
        createdAt: item.createdAt,
        now: clock.now(),
        maxAttempts,
        maxAgeMs,
        ...(backoff ? { backoff } : {}),
      });
      const sendMs = Math.round((performance.now() - started) * 10) / 10;
      const context = { outboxId: item.id, ticketId: item.ticketId, kind: item.kind, effectKey: item.effectKey, attempt: item.attempts + 1, sendMs };
      if (verdict.status === 'sent') {
        await repository.markSent({ id: item.id, at: clock.now() });
        logger.info(context, 'delivered');
      } else if (verdict.status === 'retry') {
        await repository.markRetry({ id: item.id, nextAttemptAt: verdict.nextAttemptAt, error: describeError(failure) });
        logger.warn({ ...context, err: describeError(failure), nextAttemptAt: verdict.nextAttemptAt }, 'delivery failed, will retry');
      } else {
        await repository.markFailed({ id: item.id, error: describeError(failure) });
        logger.error({ ...context, err: describeError(failure) }, 'delivery failed permanently: dead letter');
      }
      onAttempt?.({ kind: item.kind, result: verdict.status, createdAt: item.createdAt, at: clock.now() });
    }
  }

  function nudge(): void {
    nudged = true;
    wake?.();
  }

  function start(): void {
    if (running) return;
    running = true;
    loop = (async () => {
      while (running) {
        nudged = false;
        try {
          await runOnce({ shouldContinue: () => running });
        } catch (error) {
          logger.error({ err: describeError(error) }, 'outbox pass failed');
        }
        if (!running || nudged) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    })();
  }

  /** Stops after the delivery in hand; with `drainMs`, first keeps delivering due rows for that long. */
  async function stop({ drainMs = 0 }: { drainMs?: number } = {}): Promise<void> {
    if (drainMs > 0 && running) {
      const deadline = Date.now() + drainMs;
      const drained = (async () => {
        while (Date.now() < deadline && (await repository.listDue({ now: clock.now(), limit: 1 })).length > 0) {
          nudge();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await drained;
    }
    running = false;
    wake?.();
    await loop;
  }

  return { start, stop, runOnce, nudge };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
