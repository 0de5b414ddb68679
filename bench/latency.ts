import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { startDaemonChild } from './daemon.js';
import { createStageLog, type InDaemon } from './in-daemon.js';
import { plainMail } from './mails.js';
import { percentile, sleep, waitUntil } from './stats.js';

export type LatencyRun = {
  pageMs: number[];
  confirmationMs: number[];
  appendMs: number[];
  /** APPEND completed -> EXISTS seen by a bare imapflow client idling on the same folder: the server's delay. */
  existsMs: number[];
  /** APPEND completed -> the daemon logged "message ingested" (stored, effects queued). */
  storedMs: number[];
  /** "message ingested" -> page received: the outbox's part. */
  storedToPageMs: number[];
  /** The same mails one at a time, 1.2 s apart: APPEND -> page and APPEND -> stored, without queueing. */
  isolatedPageMs: number[];
  isolatedStoredMs: number[];
  /** Isolated mails whose page took longer than SLOW_MS (IDLE did not bring them; the safety-net poll did). */
  isolatedSlow: number;
  /** The daemon's own part (EXISTS heard -> page received) and its stages: the steady mails, the isolated ones. */
  inDaemon: InDaemon;
  isolatedInDaemon: InDaemon;
  /** Peak RSS of the daemon over the run (start-up, idle, 200 mails). */
  peakRssMb: number;
  load: number;
};

export type LatencyOptions = { runs: number; count: number; ratePerSecond: number; isolated: number; log: (line: string) => void };

const SLOW_MS = 5_000;

/**
 * Why an isolated mail's page was slow: did Dovecot announce it to the bare idling observer, when did the daemon
 * store it, and what the daemon and Dovecot logged last.
 */
function explainSlow({ n, done, existsAt, stored, page, daemon, dovecotLog }: { n: number; done: number; existsAt: number | undefined; stored: number | undefined; page: number | undefined; daemon: { logTail(): string }; dovecotLog: string }): string {
  const after = (at: number | undefined) => (at === undefined ? 'never' : `+${at - done} ms`);
  let dovecot = '';
  try {
    dovecot = readFileSync(dovecotLog, 'utf8').split('\n').slice(-30).join('\n');
  } catch (error) {
    dovecot = `(no Dovecot log: ${(error as Error).message})`;
  }
  const daemonLines = daemon.logTail().split('\n').slice(-25).join('\n');
  return `isolated mail ${n}: APPEND done at ${new Date(done).toISOString()}; EXISTS at the bare observer ${after(existsAt)}; stored ${after(stored)}; page ${after(page)}\n--- daemon log (last lines)\n${daemonLines}\n--- dovecot.log (last lines)\n${dovecot}`;
}

type PageBody = { payload?: { custom_details?: { subject?: string } } };

/**
 * Mails APPENDed one at a time at a steady rate while the daemon waits in IDLE. The clock starts when the
 * APPEND completes (tagged OK, as a delivering MTA sees it) and stops when the SMTP peer has the confirmation
 * (matched by its In-Reply-To) and the HTTP receiver has the page (matched by the unique subject).
 * The safety-net poll is at its production default (every 30 s), so only IDLE can explain a fast pick-up.
 */
export async function runLatency(built: Built, stack: LocalStack, { runs, count, ratePerSecond, isolated, log }: LatencyOptions): Promise<LatencyRun[]> {
  const results: LatencyRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const folder = `Latency${run}`;
    await built.createMailbox({ ...stack.imap, mailbox: folder });
    const dir = path.join(stack.dir, `latency-${run}`);
    const configFile = await stack.writeConfig(`latency-${run}.yaml`, {
      database: { path: path.join(dir, 'ticketd.sqlite') },
      imap: { mailbox: folder, pollCron: '*/30 * * * * *' },
      outbox: { pollSeconds: 5 },
      // The per-sender abuse guards are not what is measured, and the bench's mail comes from few senders.
      limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 },
      log: { level: 'info' },
    });
    stack.smtp.clear();
    stack.receiver.clear();
    const storedAt = new Map<string, number>();
    const stageLog = createStageLog();
    const daemon = startDaemonChild(configFile, {
      onLog: (entry) => {
        if (entry.msg === 'message ingested' && entry.messageId && entry.time) storedAt.set(entry.messageId, entry.time);
        stageLog.onEntry(entry);
      },
    });
    const appender = new ImapFlow({ host: stack.imap.host, port: stack.imap.port, secure: false, auth: { user: stack.imap.user, pass: stack.imap.password }, logger: false });
    appender.on('error', () => undefined);
    // A second, bare client idling on the folder: when does the server itself announce a new message?
    const observer = new ImapFlow({ host: stack.imap.host, port: stack.imap.port, secure: false, auth: { user: stack.imap.user, pass: stack.imap.password }, logger: false });
    observer.on('error', () => undefined);
    const existsAt: number[] = [];
    let existsBase = 0;
    observer.on('exists', ({ count, prevCount }: { count: number; prevCount: number }) => {
      const now = Date.now();
      for (let index = prevCount; index < count; index += 1) existsAt[index - existsBase] ??= now;
    });
    try {
      await daemon.waitForLog('IMAP connected');
      await appender.connect();
      await observer.connect();
      await observer.mailboxOpen(folder, { readOnly: true });
      observer.idle().catch(() => undefined);
      // The first (empty) sync runs, then IDLE starts; give it a moment rather than race the first append.
      await sleep(1000);

      const appendedAt = new Map<string, number>();
      const appendOrder: string[] = [];
      const idBySubject = new Map<string, string>();
      const appendMs: number[] = [];
      const token = randomBytes(4).toString('hex');
      const pageAt = (id: string) => {
        const request = stack.receiver.requests.find((candidate) => idBySubject.get((candidate.body as PageBody).payload?.custom_details?.subject ?? '') === id);
        return request?.receivedAt.getTime();
      };

      // First a few mails one at a time, each after the previous one was paged: latency without queueing.
      const isolatedPageMs: number[] = [];
      const isolatedStoredMs: number[] = [];
      const isolatedPages: Array<{ messageId: string; pageAt: number }> = [];
      let isolatedSlow = 0;
      const dovecotLog = path.join(stack.dir, 'dovecot', 'dovecot.log');
      for (let n = 0; n < isolated; n += 1) {
        const messageId = `iso-${token}-${run}-${n}@mail.acme.test`;
        const subject = `SEV2 isolated probe ${token} ${run}-${n}`;
        idBySubject.set(subject, messageId);
        await appender.append(folder, plainMail({ from: 'solo@acme.test', subject, messageId, body: 'One mail on its own.' }));
        const done = Date.now();
        // Longer than two safety-net polls: a mail IDLE did not announce is still measured (and explained),
        // not the end of the bench.
        await waitUntil(() => pageAt(messageId) !== undefined && storedAt.has(messageId), { timeoutMs: 70_000, intervalMs: 5, what: `the page of isolated mail ${n}` }).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}\n${explainSlow({ n, done, existsAt: existsAt[n], stored: storedAt.get(messageId), page: pageAt(messageId), daemon, dovecotLog })}`);
        });
        if ((pageAt(messageId) as number) - done > SLOW_MS) {
          isolatedSlow += 1;
          log(`latency run ${run}: isolated mail ${n} slow\n${explainSlow({ n, done, existsAt: existsAt[n], stored: storedAt.get(messageId), page: pageAt(messageId), daemon, dovecotLog })}`);
        }
        isolatedPageMs.push((pageAt(messageId) as number) - done);
        isolatedStoredMs.push((storedAt.get(messageId) as number) - done);
        isolatedPages.push({ messageId, pageAt: pageAt(messageId) as number });
        await sleep(1200);
      }
      await waitUntil(() => stack.smtp.received.length >= isolated, { timeoutMs: 30_000, what: 'the isolated confirmations' });
      stack.smtp.clear();
      stack.receiver.clear();
      existsAt.length = 0;
      existsBase = isolated;
      const intervalMs = 1000 / ratePerSecond;
      const start = Date.now();
      for (let n = 0; n < count; n += 1) {
        const due = start + n * intervalMs;
        if (Date.now() < due) await sleep(due - Date.now());
        const messageId = `lat-${token}-${run}-${n}@mail.acme.test`;
        const subject = `SEV2 latency probe ${token} ${run}-${n}`;
        idBySubject.set(subject, messageId);
        const raw = plainMail({ from: `user${n % 13}@acme.test`, subject, messageId, body: `Probe ${n}: the export API answers 503 since 09:00.` });
        const before = Date.now();
        await appender.append(folder, raw);
        const done = Date.now();
        appendMs.push(done - before);
        appendedAt.set(messageId, done);
        appendOrder.push(messageId);
      }
      await waitUntil(() => stack.smtp.received.length >= count && stack.receiver.requests.length >= count, { timeoutMs: 120_000, intervalMs: 50, what: `${count} confirmations and pages` });
      // A busy daemon learns of new mail from its own commands' responses, without the IDLE delay, so the
      // idling observer can hear of the last mails after their page went out: give it Dovecot's 500 ms.
      await waitUntil(() => existsAt.length >= count, { timeoutMs: 2_000, intervalMs: 50, what: 'the observer to see every mail' }).catch(() => undefined);

      const confirmationMs: number[] = [];
      for (const mail of stack.smtp.received) {
        const sent = mail.parsed.inReplyTo ? appendedAt.get(mail.parsed.inReplyTo) : undefined;
        if (sent !== undefined) confirmationMs.push(mail.receivedAt.getTime() - sent);
      }
      const pageMs: number[] = [];
      const storedMs: number[] = [];
      const storedToPageMs: number[] = [];
      const pages: Array<{ messageId: string; pageAt: number }> = [];
      for (const request of stack.receiver.requests) {
        const subject = (request.body as PageBody).payload?.custom_details?.subject;
        const id = subject ? idBySubject.get(subject) : undefined;
        const sent = id ? appendedAt.get(id) : undefined;
        if (id === undefined || sent === undefined) continue;
        pageMs.push(request.receivedAt.getTime() - sent);
        pages.push({ messageId: id, pageAt: request.receivedAt.getTime() });
        const stored = storedAt.get(id);
        if (stored !== undefined) {
          storedMs.push(stored - sent);
          storedToPageMs.push(request.receivedAt.getTime() - stored);
        }
      }
      const existsMs = appendOrder.flatMap((id, index) => (existsAt[index] === undefined ? [] : [(existsAt[index] as number) - (appendedAt.get(id) as number)]));
      if (confirmationMs.length !== count || pageMs.length !== count) {
        throw new Error(`latency run ${run}: matched ${confirmationMs.length} confirmations and ${pageMs.length} pages of ${count}`);
      }
      const peak = daemon.peakRssMb();
      const inDaemon = stageLog.inDaemon(pages);
      const isolatedInDaemon = stageLog.inDaemon(isolatedPages);
      results.push({ pageMs, confirmationMs, appendMs, existsMs, storedMs, storedToPageMs, isolatedPageMs, isolatedStoredMs, isolatedSlow, inDaemon, isolatedInDaemon, peakRssMb: peak, load: os.loadavg()[0] ?? Number.NaN });
      log(
        `latency run ${run}: page p50 ${percentile(pageMs, 50)} p95 ${percentile(pageMs, 95)} p99 ${percentile(pageMs, 99)} ms; ` +
          `confirmation p50 ${percentile(confirmationMs, 50)} p95 ${percentile(confirmationMs, 95)} p99 ${percentile(confirmationMs, 99)} ms; append p50 ${percentile(appendMs, 50)} ms; ` +
          `APPEND->EXISTS at a bare client p50 ${percentile(existsMs, 50)} p99 ${percentile(existsMs, 99)} ms (${existsMs.length} seen); ` +
          `APPEND->stored p50 ${percentile(storedMs, 50)} p99 ${percentile(storedMs, 99)} ms; stored->page p50 ${percentile(storedToPageMs, 50)} p99 ${percentile(storedToPageMs, 99)} ms; ` +
          `isolated mails: page p50 ${percentile(isolatedPageMs, 50)} ms (${isolatedSlow} over ${SLOW_MS} ms), stored p50 ${percentile(isolatedStoredMs, 50)} ms; ` +
          `in the daemon, EXISTS heard -> page p50 ${percentile(inDaemon.heardToPageMs, 50).toFixed(1)} ms (${inDaemon.heardToPageMs.length} traced), isolated ${percentile(isolatedInDaemon.heardToPageMs, 50).toFixed(1)} ms`,
      );
    } finally {
      await appender.logout().catch(() => appender.close());
      observer.close();
      await daemon.stop();
    }
  }
  return results;
}
