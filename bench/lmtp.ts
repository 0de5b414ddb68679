import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { stringify } from 'yaml';
import { findFreePort } from '../src/devservers/listen.js';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { startDaemonChild } from './daemon.js';
import { createStageLog, type InDaemon } from './in-daemon.js';
import { plainMail } from './mails.js';
import { percentile, sleep, waitUntil } from './stats.js';

export type LmtpRun = {
  /** LMTP client starts the delivery (connect, LHLO, MAIL, RCPT, DATA) -> page received by the HTTP receiver. */
  pageMs: number[];
  confirmationMs: number[];
  /** -> the listener's 250 for the recipient (the outcome is committed by then). */
  ackMs: number[];
  /** -> the daemon logged "message ingested". */
  storedMs: number[];
  /** The same one at a time, each after the previous page: no queueing at all. */
  isolatedPageMs: number[];
  isolatedAckMs: number[];
  /** The daemon's own part (DATA began -> page received) and its stages: the steady mails, the isolated ones. */
  inDaemon: InDaemon;
  isolatedInDaemon: InDaemon;
  /** Through a real Postfix on loopback (only when it can run here, i.e. as root): SMTP submission accepted -> page. */
  viaPostfixPageMs: number[];
  peakRssMb: number;
  load: number;
};

export type LmtpOptions = { runs: number; count: number; ratePerSecond: number; isolated: number; viaPostfix: number; log: (line: string) => void };

type PageBody = { payload?: { custom_details?: { subject?: string } } };

/**
 * The push path: the bench plays the MTA and delivers over LMTP to `ticketd run` (LMTP only, no IMAP), one
 * connection per message as an MTA without a cached connection does. The clock starts when the delivery
 * starts and stops when the SMTP peer has the confirmation and the HTTP receiver the page. Outbox poll at its
 * production default (5 s), so only the nudge after the commit explains a fast page. Then, where Postfix can run,
 * a few mails through a real Postfix on loopback (its queue manager in front of the same listener).
 */
export async function runLmtpLatency(built: Built, stack: LocalStack, { runs, count, ratePerSecond, isolated, viaPostfix, log }: LmtpOptions): Promise<LmtpRun[]> {
  const results: LmtpRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const dir = path.join(stack.dir, `lmtp-${run}`);
    const lmtpPort = await findFreePort();
    const { imap: _imap, ...config } = stack.config({
      database: { path: path.join(dir, 'ticketd.sqlite') },
      lmtp: { port: lmtpPort },
      outbox: { pollSeconds: 5 },
      limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 },
      log: { level: 'info' },
    });
    const configFile = path.join(stack.dir, `lmtp-${run}.yaml`);
    await writeFile(configFile, stringify(config));
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
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: lmtpPort, lmtp: true, secure: false, ignoreTLS: true });
    const postfix = viaPostfix > 0 && built.postfixMissing() === undefined ? await built.startPostfix({ domains: ['cloudsoft.test'], mailboxes: ['help@cloudsoft.test'], transports: { 'help@cloudsoft.test': `lmtp:inet:127.0.0.1:${lmtpPort}` } }) : undefined;
    try {
      await daemon.waitForLog('ticketd running');
      const token = randomBytes(4).toString('hex');
      const idBySubject = new Map<string, string>();
      const startedAt = new Map<string, number>();
      const ackedAt = new Map<string, number>();
      const pageAt = (id: string) => stack.receiver.requests.find((request) => idBySubject.get((request.body as PageBody).payload?.custom_details?.subject ?? '') === id)?.receivedAt.getTime();
      const deliver = async (n: number, kind: string, from: string) => {
        const messageId = `${kind}-${token}-${run}-${n}@mail.acme.test`;
        const subject = `SEV2 lmtp ${kind} probe ${token} ${run}-${n}`;
        idBySubject.set(subject, messageId);
        const raw = plainMail({ from, subject, messageId, body: `Probe ${n}: the export API answers 503 since 09:00.` });
        startedAt.set(messageId, Date.now());
        const info = await transport.sendMail({ envelope: { from, to: ['help@cloudsoft.test'] }, raw });
        if (info.accepted.length !== 1) throw new Error(`lmtp run ${run}: ${messageId} was not accepted: ${info.response}`);
        ackedAt.set(messageId, Date.now());
        return messageId;
      };

      const isolatedPageMs: number[] = [];
      const isolatedAckMs: number[] = [];
      const isolatedPages: Array<{ messageId: string; pageAt: number }> = [];
      for (let n = 0; n < isolated; n += 1) {
        const id = await deliver(n, 'iso', 'solo@acme.test');
        await waitUntil(() => pageAt(id) !== undefined, { timeoutMs: 30_000, intervalMs: 5, what: `the page of isolated LMTP mail ${n}` });
        isolatedPageMs.push((pageAt(id) as number) - (startedAt.get(id) as number));
        isolatedAckMs.push((ackedAt.get(id) as number) - (startedAt.get(id) as number));
        isolatedPages.push({ messageId: id, pageAt: pageAt(id) as number });
        await sleep(300);
      }
      await waitUntil(() => stack.smtp.received.length >= isolated, { timeoutMs: 30_000, what: 'the isolated confirmations' });
      stack.smtp.clear();
      stack.receiver.clear();

      const steady: string[] = [];
      const sends: Array<Promise<string>> = [];
      const intervalMs = 1000 / ratePerSecond;
      const start = Date.now();
      for (let n = 0; n < count; n += 1) {
        const due = start + n * intervalMs;
        if (Date.now() < due) await sleep(due - Date.now());
        sends.push(deliver(n, 'lat', `user${n % 13}@acme.test`));
      }
      steady.push(...(await Promise.all(sends)));
      await waitUntil(() => stack.smtp.received.length >= count && stack.receiver.requests.length >= count, { timeoutMs: 120_000, intervalMs: 50, what: `${count} LMTP confirmations and pages` });

      const pageMs: number[] = [];
      const ackMs: number[] = [];
      const storedMs: number[] = [];
      const pages: Array<{ messageId: string; pageAt: number }> = [];
      for (const id of steady) {
        const began = startedAt.get(id) as number;
        const paged = pageAt(id);
        if (paged === undefined) throw new Error(`lmtp run ${run}: no page for ${id}`);
        pageMs.push(paged - began);
        pages.push({ messageId: id, pageAt: paged });
        ackMs.push((ackedAt.get(id) as number) - began);
        const stored = storedAt.get(id);
        if (stored !== undefined) storedMs.push(stored - began);
      }
      const confirmationMs = stack.smtp.received.flatMap((mail) => {
        const began = mail.parsed.inReplyTo ? startedAt.get(mail.parsed.inReplyTo) : undefined;
        return began === undefined ? [] : [mail.receivedAt.getTime() - began];
      });
      if (confirmationMs.length !== count) throw new Error(`lmtp run ${run}: matched ${confirmationMs.length} confirmations of ${count}`);

      // Through Postfix: the clock starts when Postfix accepted the mail on SMTP (250 queued), as a sender sees it.
      const viaPostfixPageMs: number[] = [];
      if (postfix) {
        const submit = nodemailer.createTransport({ host: '127.0.0.1', port: postfix.port, secure: false, ignoreTLS: true });
        try {
          for (let n = 0; n < viaPostfix; n += 1) {
            const messageId = `mta-${token}-${run}-${n}@mail.acme.test`;
            const subject = `SEV2 lmtp via postfix ${token} ${run}-${n}`;
            idBySubject.set(subject, messageId);
            await submit.sendMail({ envelope: { from: 'relay@acme.test', to: ['help@cloudsoft.test'] }, raw: plainMail({ from: 'relay@acme.test', subject, messageId, body: 'Through the MTA.' }) });
            const accepted = Date.now();
            await waitUntil(() => pageAt(messageId) !== undefined, { timeoutMs: 30_000, intervalMs: 5, what: `the page of mail ${n} through Postfix` });
            viaPostfixPageMs.push((pageAt(messageId) as number) - accepted);
            await sleep(300);
          }
        } finally {
          submit.close();
        }
      } else if (viaPostfix > 0) {
        log(`lmtp run ${run}: no Postfix figures: ${built.postfixMissing()}`);
      }

      results.push({ pageMs, confirmationMs, ackMs, storedMs, isolatedPageMs, isolatedAckMs, inDaemon: stageLog.inDaemon(pages), isolatedInDaemon: stageLog.inDaemon(isolatedPages), viaPostfixPageMs, peakRssMb: daemon.peakRssMb(), load: os.loadavg()[0] ?? Number.NaN });
      log(
        `lmtp run ${run}: page p50 ${percentile(pageMs, 50)} p99 ${percentile(pageMs, 99)} ms; 250 p50 ${percentile(ackMs, 50)} p99 ${percentile(ackMs, 99)} ms; ` +
          `confirmation p50 ${percentile(confirmationMs, 50)} ms; isolated page p50 ${percentile(isolatedPageMs, 50)} ms` +
          (viaPostfixPageMs.length ? `; via Postfix page p50 ${percentile(viaPostfixPageMs, 50)} ms` : ''),
      );
    } finally {
      transport.close();
      await postfix?.destroy();
      await daemon.stop();
    }
  }
  return results;
}
