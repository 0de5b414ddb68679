import { systemClock, type Clock } from '../../shared/clock.js';
import { createError, describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { ownerIsGone } from '../../shared/process-owner.js';
import type { MailboxLeaseRepository, MailboxLeaseRow } from '../inbound-log/mailbox-lease.repository.js';

export const MAILBOX_LEASE_TTL_MS = 20_000;
export const MAILBOX_LEASE_HEARTBEAT_MS = 5_000;

/**
 * Keeps (or waits for) the lease of one mailbox, so that of several ticketd instances exactly one syncs it
 * (issue 18). Every `heartbeatMs` it renews the lease it holds, or tries to take it: free, expired (its holder
 * stopped renewing `ttlMs` ago: killed, stalled, cut off), or held by a process of this host that is gone (a
 * restart takes over at once). `onTaken` starts the sync, `onLost` stops it.
 *
 * `fence()` runs inside the ingest transaction before anything is recorded: it fails when the lease has moved on
 * under a new token, so an instance that lost it without noticing (a long pause, a network cut) cannot commit
 * an outcome or move the cursor after another instance took over.
 */
export function createMailboxLease({
  mailbox,
  holder,
  leases,
  clock = systemClock,
  ttlMs = MAILBOX_LEASE_TTL_MS,
  heartbeatMs = MAILBOX_LEASE_HEARTBEAT_MS,
  logger = createSilentLogger(),
  onTaken,
  onLost,
  isGone = (owner: string) => ownerIsGone(owner, holder),
  mayTake = () => true,
  scheduled = true,
}: {
  mailbox: string;
  /** This process: `host:pid`. */
  holder: string;
  leases: MailboxLeaseRepository;
  clock?: Clock;
  ttlMs?: number;
  heartbeatMs?: number;
  logger?: Logger;
  onTaken: () => void | Promise<void>;
  onLost: () => void | Promise<void>;
  isGone?: (owner: string) => boolean;
  /**
   * Asked before trying a lease another instance does not hold now (`current`: its row, if any): the share of
   * several mailboxes (mailbox.share.ts) answers false while this instance holds its part of them.
   */
  mayTake?: (current: MailboxLeaseRow | undefined, now: Date) => boolean;
  /** false: no timer of its own; whoever made it calls `beat()` (mailbox.share.ts, one beat for every mailbox). */
  scheduled?: boolean;
}) {
  let token: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  let stopped = true;

  async function take(): Promise<void> {
    const now = clock.now();
    const current = await leases.find(mailbox);
    const free = !current || current.expiresAt < now || current.holder === holder;
    if (free && !mayTake(current, now)) return;
    const takeoverFrom = current && current.holder !== holder && current.expiresAt > now && isGone(current.holder) ? [current.holder] : [];
    token = await leases.take({ mailbox, holder, now, ttlMs, takeoverFrom });
    if (token === undefined) return;
    logger.info({ mailbox, holder, token, from: current && current.holder !== holder ? current.holder : undefined }, 'mailbox lease taken: this instance syncs the mailbox');
    await onTaken();
  }

  async function renew(held: number): Promise<void> {
    if (await leases.renew({ mailbox, holder, token: held, now: clock.now(), ttlMs })) return;
    token = undefined;
    const now = await leases.find(mailbox);
    logger.warn({ mailbox, holder, heldBy: now?.holder }, 'mailbox lease lost: another instance took it over; this one stops syncing');
    await onLost();
  }

  async function beat(): Promise<void> {
    try {
      if (token === undefined) await take();
      else await renew(token);
    } catch (error) {
      // The database is unreachable or busy: try again at the next beat. A lease not renewed in time expires, and
      // the fence keeps this instance from recording anything once another has taken it.
      logger.error({ err: describeError(error), mailbox }, 'mailbox lease: heartbeat failed');
    }
  }

  function schedule(): void {
    if (stopped || !scheduled) return;
    timer = setTimeout(() => {
      beating = beat().then(schedule);
    }, heartbeatMs);
  }

  return {
    /** Tries to take the lease now, then keeps beating. Resolves after the first try. Unscheduled: only arms it for `beat()`. */
    async start(): Promise<void> {
      if (!stopped) return;
      stopped = false;
      if (!scheduled) return;
      beating = beat();
      await beating;
      schedule();
    },
    /** Stops beating; `onLost` runs if the lease was held (the sync stops), then the lease is let go. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await beating;
      const held = token;
      if (held === undefined) return;
      token = undefined;
      await onLost();
      await leases.release({ mailbox, holder, token: held, now: clock.now() }).catch((error: unknown) => logger.warn({ err: describeError(error), mailbox }, 'mailbox lease: could not let it go; it expires by itself'));
      logger.info({ mailbox, holder }, 'mailbox lease let go');
    },
    /** One heartbeat (renew, or try to take); for a lease made with `scheduled: false`. */
    async beat(): Promise<void> {
      if (stopped) return;
      beating = beat();
      await beating;
    },
    /**
     * Lets the lease go while staying ready to take it again: the sync stops and the lease expires now. Whether
     * this instance takes it back is `mayTake`'s to say (the share leaves it a heartbeat to the others).
     */
    async handOver(): Promise<void> {
      const held = token;
      if (held === undefined) return;
      token = undefined;
      await onLost();
      await leases.release({ mailbox, holder, token: held, now: clock.now() }).catch((error: unknown) => logger.warn({ err: describeError(error), mailbox }, 'mailbox lease: could not hand it over; it expires by itself'));
      logger.info({ mailbox, holder }, 'mailbox lease handed over: another instance holds fewer mailboxes');
    },
    held: () => token !== undefined,
    async fence(): Promise<void> {
      const held = token;
      if (held === undefined || !(await leases.holds({ mailbox, holder, token: held }))) throw createError({ code: 'MAILBOX_LEASE_LOST', message: `the lease of ${mailbox} is no longer this instance's: another took it over` });
    },
    status: () => ({ name: mailbox, held: token !== undefined }),
  };
}

export type MailboxLease = ReturnType<typeof createMailboxLease>;
