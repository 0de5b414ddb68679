import { createTask } from 'node-cron';
import { backoffDelayMs, sleep } from '../../shared/backoff.models.js';
import { describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { Mailbox } from './mailbox.types.js';

/**
 * Keeps the help@ folder watched: connect, sync, then wait for IDLE news or the cron safety-net poll,
 * sync again. Syncs never overlap (one loop). A failure closes the connection and reconnects after a capped,
 * jittered backoff that is reset only once a connection has stayed up for `stableMs` (imapflow#64, #83).
 */
export function createMailboxWatcher({
  mailbox,
  sync,
  pollCron,
  logger = createSilentLogger(),
  stableMs = 60_000,
  backoff = { baseMs: 1_000, capMs: 60_000 },
}: {
  mailbox: Mailbox;
  /** `heardAt`: when the server reported the news this pass answers (for the messages' stage trace). */
  sync: (args: { uidValidity: string; signal: AbortSignal; heardAt?: number }) => Promise<number>;
  pollCron: string;
  logger?: Logger;
  stableMs?: number;
  backoff?: { baseMs: number; capMs: number };
}) {
  const stopping = new AbortController();
  let wake = new AbortController();
  let loop: Promise<void> | undefined;
  let connected = false;
  let reconnects = 0;
  let everConnected = false;
  let disconnectedAt = Date.now();
  // The safety net: IDLE `exists` events can be missed and connections die silently (imapflow#13, #14).
  const task = createTask(pollCron, () => wake.abort(), { name: 'imap-poll', noOverlap: true });

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let connectedAt: number | undefined;
      try {
        const { uidValidity } = await mailbox.open({ signal: stopping.signal });
        connected = true;
        everConnected = true;
        connectedAt = Date.now();
        logger.info({ uidValidity }, 'IMAP connected');
        let heardAt: number | undefined;
        while (!stopping.signal.aborted) {
          wake = new AbortController();
          await sync({ uidValidity, signal: stopping.signal, ...(heardAt === undefined ? {} : { heardAt }) });
          heardAt = undefined;
          if (failures > 0 && Date.now() - connectedAt >= stableMs) failures = 0;
          if (wake.signal.aborted) continue; // a nudge came in while syncing
          ({ heardAt } = await mailbox.waitForNews({ signal: AbortSignal.any([stopping.signal, wake.signal]) }));
        }
      } catch (error) {
        if (connected) disconnectedAt = Date.now();
        connected = false;
        if (stopping.signal.aborted) break;
        if (connectedAt !== undefined && Date.now() - connectedAt >= stableMs) failures = 0;
        failures += 1;
        reconnects += 1;
        const delay = backoffDelayMs({ attempt: failures, ...backoff });
        logger.warn({ err: describeError(error), attempt: failures, retryInMs: delay }, 'IMAP connection failed; reconnecting');
        await mailbox.close().catch(() => undefined);
        await sleep(delay, stopping.signal);
      }
    }
    connected = false;
  }

  function start(): void {
    if (loop) return;
    // node-cron types start/stop as `void | Promise<void>`; a promise only for a forked task, never this in-process one.
    void task.start();
    loop = run();
  }

  /** Stops taking new mail: the message in hand finishes, then the connection closes. */
  async function stop(): Promise<void> {
    void task.stop();
    stopping.abort();
    wake.abort();
    await loop;
    await mailbox.close().catch(() => undefined);
  }

  return { start, stop, nudge: () => wake.abort(), status: () => ({ connected, reconnects, everConnected, disconnectedForMs: connected ? 0 : Date.now() - disconnectedAt }) };
}

export type MailboxWatcher = ReturnType<typeof createMailboxWatcher>;
