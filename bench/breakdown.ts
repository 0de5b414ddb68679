import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';

export type Breakdown = {
  messages: number;
  /** Milliseconds per message, summed over the backlog, for each stage of the daemon's sync loop. */
  perMessageMs: { list: number; download: number; ingest: number; mark: number; total: number };
  /** The daemon's own streaming parse (parseRawMessage) of the stored raw mail, alone. */
  parseOnlyMs: number;
  /** Reading and gunzipping the stored raw mail, alone. */
  readRawMs: number;
};

/**
 * Where a backlog message's time goes: the daemon's sync loop re-enacted in-process with its own parts
 * (imapflow mailbox driver, raw store, intake) and a timer around each stage. The outbox worker does not run
 * and nothing is logged, so this is the intake path alone. A diagnostic, not one of the targets.
 */
export async function runBreakdown(built: Built, stack: LocalStack, { folder }: { folder: string }): Promise<Breakdown> {
  const dbPath = path.join(stack.dir, 'breakdown', 'ticketd.sqlite');
  const checked = built.validateConfig(stack.config({ database: { path: dbPath }, imap: { mailbox: folder }, limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 }, log: { level: 'silent' } }));
  if (!checked.ok) throw new Error(`breakdown config invalid: ${JSON.stringify(checked.problems)}`);
  const services = await built.buildServices({ config: checked.config, logger: built.createSilentLogger() });
  const mailbox = built.createImapflowMailbox({ host: stack.imap.host, port: stack.imap.port, secure: false, user: stack.imap.user, password: stack.imap.password, mailbox: folder });
  const signal = new AbortController().signal;
  try {
    const { uidValidity } = await mailbox.open({ signal });
    let started = performance.now();
    const pending = await mailbox.listNewUids({ afterUid: 0, signal });
    const list = performance.now() - started;
    let download = 0;
    let ingest = 0;
    let mark = 0;
    const blobs: string[] = [];
    // The daemon's loop (mailbox.sync.ts): small mail fetched in batches and stored, big mail streamed to
    // the store, each ingested, then the batch marked with one command. Fetching and storing count as download.
    for (const step of built.planDownloads(pending)) {
      started = performance.now();
      const done: number[] = [];
      if (step.kind === 'stream') {
        const blob = await mailbox.downloadRaw({ uid: step.uid, signal, consume: (source) => services.stores.raw.put(source) });
        const downloaded = performance.now();
        await services.intake.ingestStored({ blob, source: folder, uidValidity, uid: step.uid });
        download += downloaded - started;
        ingest += performance.now() - downloaded;
        done.push(step.uid);
        blobs.push(blob.sha256);
      } else {
        const messages = await mailbox.fetchMany({ uids: step.uids, signal });
        download += performance.now() - started;
        const storing = performance.now();
        const stored = await built.mapLimited(messages, built.STORE_CONCURRENCY, (message) => services.stores.raw.put(message.source));
        download += performance.now() - storing;
        for (const [index, message] of messages.entries()) {
          const blob = stored[index] as { sha256: string; size: number };
          const ingesting = performance.now();
          await services.intake.ingestStored({ blob, raw: message.source, source: folder, uidValidity, uid: message.uid });
          ingest += performance.now() - ingesting;
          done.push(message.uid);
          blobs.push(blob.sha256);
        }
      }
      const marking = performance.now();
      await mailbox.markProcessed({ uids: done });
      mark += performance.now() - marking;
    }
    const n = pending.length;
    started = performance.now();
    for (const sha of blobs) await services.stores.raw.read(sha);
    const readRawMs = (performance.now() - started) / n;
    started = performance.now();
    for (const sha of blobs) await built.parseRawMessage(services.stores.raw.open(sha), { timeoutMs: 30_000 }).catch(() => undefined);
    const parseOnlyMs = (performance.now() - started) / n;
    return {
      messages: n,
      perMessageMs: { list: list / n, download: download / n, ingest: ingest / n, mark: mark / n, total: (list + download + ingest + mark) / n },
      parseOnlyMs,
      readRawMs,
    };
  } finally {
    await mailbox.close();
    await services.close();
  }
}
