import os from 'node:os';
import path from 'node:path';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { databaseWatcher, startDaemonChild } from './daemon.js';
import { mailWithAttachment } from './mails.js';
import { waitUntil } from './stats.js';
import { fillFolder } from './backlog.js';

export type MemoryRun = { peakRssMb: number; seconds: number; outcome: string; attachmentBytes: number; load: number };

/**
 * One mail with a big attachment, waiting in its folder when the daemon starts. The size limit is raised
 * above the message (the default 50 MiB limit would quarantine it unparsed, which proves nothing about
 * memory), so it is downloaded, stored, parsed and its attachment streamed to the store.
 */
export async function runMemory(built: Built, stack: LocalStack, { runs, attachmentBytes, log }: { runs: number; attachmentBytes: number; log: (line: string) => void }): Promise<{ rawBytes: number; runs: MemoryRun[] }> {
  const folder = 'Big';
  const raw = mailWithAttachment({ bytes: attachmentBytes, messageId: 'big-attachment@mail.acme.test' });
  await fillFolder(built, stack, folder, [raw]);
  const results: MemoryRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const dir = path.join(stack.dir, `memory-${run}`);
    const dbPath = path.join(dir, 'ticketd.sqlite');
    const configFile = await stack.writeConfig(`memory-${run}.yaml`, {
      database: { path: dbPath },
      imap: { mailbox: folder, pollCron: '*/30 * * * * *', commandTimeoutSeconds: 300 },
      limits: { maxMessageBytes: 4 * raw.length, parseTimeoutSeconds: 300, autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 },
      log: { level: 'info' },
    });
    const watcher = databaseWatcher(dbPath);
    const daemon = startDaemonChild(configFile);
    try {
      await waitUntil(() => watcher.count('select count(*) from inbound_messages') >= 1, { timeoutMs: 300_000, intervalMs: 20, what: 'the big mail stored' });
      const openedAt = daemon.loggedAt('IMAP mailbox opened') ?? Date.now();
      const seconds = (Date.now() - openedAt) / 1000;
      const peak = daemon.peakRssMb();
      const outcome = watcher.all<{ outcome: string }>('select outcome from inbound_messages')[0]?.outcome ?? '?';
      const stored = watcher.count('select coalesce(max(size), 0) from attachments');
      results.push({ peakRssMb: peak, seconds, outcome, attachmentBytes: stored, load: os.loadavg()[0] ?? Number.NaN });
      log(`memory run ${run}: ${(raw.length / 1048576).toFixed(1)} MB message -> ${outcome}, attachment ${stored} bytes stored, ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB`);
      if (outcome !== 'ticket' || stored !== attachmentBytes) throw new Error(`the big mail was not ingested whole: ${outcome}, ${stored} bytes`);
    } finally {
      watcher.close();
      await daemon.stop();
    }
  }
  return { rawBytes: raw.length, runs: results };
}
