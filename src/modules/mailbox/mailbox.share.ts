import { systemClock, type Clock } from '../../shared/clock.js';
import { describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { MailboxLeaseRepository, MailboxLeaseRow } from '../inbound-log/mailbox-lease.repository.js';
import { createMailboxLease, MAILBOX_LEASE_HEARTBEAT_MS, MAILBOX_LEASE_TTL_MS, type MailboxLease } from './mailbox.lease.js';

/**
 * The share of this instance's part of the mailboxes, given how many instances are alive: ceil(mailboxes / live).
 * Pure, for `createMailboxShare` and its tests.
 */
export function fairShare({ mailboxes, liveInstances }: { mailboxes: number; liveInstances: number }): number {
  return Math.ceil(mailboxes / Math.max(1, liveInstances));
}

/**
 * Whether to try a lease nobody holds now. Below its share an instance takes it; at or above, only a lease left
 * free for a whole heartbeat (no instance below its share took it: they may be gone without having withdrawn),
 * so a mailbox is never left unsynced for the sake of balance.
 */
export function shouldTake({ held, share, current, now, heartbeatMs }: { held: number; share: number; current: MailboxLeaseRow | undefined; now: Date; heartbeatMs: number }): boolean {
  if (held < share) return true;
  return !current || current.expiresAt.getTime() <= now.getTime() - heartbeatMs;
}

/**
 * Several mailboxes (imap.mailboxes) shared among the instances on one database (issue 18): one lease per
 * mailbox, one heartbeat for all. At each beat the instance renews its presence (`instances`), counts the live
 * instances, renews or tries each lease (below its share it takes a free one; at its share it leaves it to an
 * instance with fewer), and hands over what it holds beyond its share, so another
 * instance takes it (it takes it back after a heartbeat if none did). Two instances and two mailboxes end with one each; when one dies the other takes its
 * mailboxes as their leases expire (within ttl + a heartbeat).
 */
export function createMailboxShare({
  mailboxes,
  holder,
  leases,
  clock = systemClock,
  ttlMs = MAILBOX_LEASE_TTL_MS,
  heartbeatMs = MAILBOX_LEASE_HEARTBEAT_MS,
  logger = createSilentLogger(),
  onTaken,
  onLost,
  isGone,
}: {
  mailboxes: string[];
  holder: string;
  leases: MailboxLeaseRepository;
  clock?: Clock;
  ttlMs?: number;
  heartbeatMs?: number;
  logger?: Logger;
  onTaken: (mailbox: string, fence: () => Promise<void>) => void | Promise<void>;
  onLost: (mailbox: string) => void | Promise<void>;
  isGone?: (owner: string) => boolean;
}) {
  let share = mailboxes.length;
  let live = 1;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  let stopped = true;
  const heldCount = () => all.filter((lease) => lease.held()).length;
  const all: MailboxLease[] = mailboxes.map((mailbox) => {
    const lease: MailboxLease = createMailboxLease({
      mailbox,
      holder,
      leases,
      clock,
      ttlMs,
      heartbeatMs,
      logger,
      scheduled: false,
      mayTake: (current, now) => shouldTake({ held: heldCount(), share, current, now, heartbeatMs }),
      onTaken: () => onTaken(mailbox, () => lease.fence()),
      onLost: () => onLost(mailbox),
      ...(isGone ? { isGone } : {}),
    });
    return lease;
  });

  async function beat(): Promise<void> {
    try {
      const now = clock.now();
      await leases.announce({ holder, now, ttlMs });
      const counted = Math.max(1, await leases.liveInstances(now));
      if (counted !== live) logger.info({ holder, instances: counted, mailboxes: mailboxes.length }, 'instances sharing the mailboxes changed');
      live = counted;
      share = fairShare({ mailboxes: mailboxes.length, liveInstances: live });
    } catch (error) {
      // Without a count, keep the last one; each lease still renews (or expires) on its own below.
      logger.error({ err: describeError(error) }, 'mailbox share: presence heartbeat failed');
    }
    // Renewals first, so a takeover never waits behind a hand-over.
    for (const lease of all) await lease.beat();
    const extra = heldCount() - share;
    if (extra > 0) {
      for (const lease of all.filter((candidate) => candidate.held()).slice(-extra)) await lease.handOver();
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      beating = beat().then(schedule);
    }, heartbeatMs);
  }

  return {
    /** Starts every lease and beats once (takes what it may), then keeps beating. */
    async start(): Promise<void> {
      if (!stopped) return;
      stopped = false;
      for (const lease of all) await lease.start();
      beating = beat();
      await beating;
      schedule();
    },
    /** Stops the syncs, withdraws this instance and lets its leases go, so the others take them at once. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await beating;
      await leases.withdraw({ holder }).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'mailbox share: could not withdraw; the presence expires by itself'));
      for (const lease of all) await lease.stop();
    },
    /** One beat now, besides the timer's (tests drive the beats by hand with a long heartbeat). */
    async beat(): Promise<void> {
      if (stopped) return;
      await beating;
      beating = beat();
      await beating;
    },
    /** Each mailbox and whether this instance holds it now. */
    status: () => all.map((lease) => lease.status()),
    instances: () => live,
  };
}

export type MailboxShare = ReturnType<typeof createMailboxShare>;
