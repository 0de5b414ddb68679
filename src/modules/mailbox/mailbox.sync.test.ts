import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../shared/logger.js';
import { temporaryStores } from '../../../test/support/stores.js';
import { syncMailbox, type StoredArrival } from './mailbox.sync.js';
import type { Mailbox, MailboxCursor } from './mailbox.types.js';

/**
 * The pass's order of work against an in-memory folder that records its commands (the real one, imapflow on
 * Dovecot, runs in the e2e suites). The point here: one command at a time on the connection, the next batch
 * downloaded while the current one is ingested, and only what was committed marked.
 */
function folderOf(sizes: number[], { uids = sizes.map((_, index) => index + 1) }: { uids?: number[] } = {}) {
  const messages = sizes.map((size, index) => ({ uid: uids[index] as number, size, source: Buffer.from(`Subject: ${index + 1}\r\n\r\n${'x'.repeat(Math.max(0, size - 20))}`) }));
  const log: string[] = [];
  let running = 0;
  let overlapped = 0;
  const command = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
    running += 1;
    if (running > 1) overlapped += 1;
    log.push(`${name} start`);
    await new Promise((resolve) => setTimeout(resolve, 2));
    try {
      return await work();
    } finally {
      log.push(`${name} end`);
      running -= 1;
    }
  };
  const marked: number[] = [];
  const mailbox: Mailbox = {
    open: async () => ({ uidValidity: '9' }),
    listNewUids: ({ afterUid, throughUid, answersNews }) =>
      command(`list ${afterUid + 1}:${throughUid ?? '*'}${answersNews ? ' answering news' : ''}`, () => messages.filter((m) => m.uid > afterUid && m.uid <= (throughUid ?? Infinity)).map(({ uid, size }) => ({ uid, size }))),
    fetchMany: ({ uids: wanted }) => command(`fetch ${wanted[0]}-${wanted.at(-1)}`, () => messages.filter((m) => wanted.includes(m.uid))),
    downloadRaw: ({ uid, consume }) => command(`download ${uid}`, () => consume(Readable.from([messages.find((m) => m.uid === uid)?.source ?? Buffer.alloc(0)]))),
    markProcessed: ({ uids }) =>
      command(`mark ${uids[0]}-${uids.at(-1)}`, () => {
        marked.push(...uids);
      }),
    waitForNews: async () => ({}),
    close: async () => undefined,
  };
  return { mailbox, log, marked, overlaps: () => overlapped };
}

describe('one pass over the folder', () => {
  it('downloads the next batch while this one is ingested, one IMAP command at a time, and marks each batch after its commit', async () => {
    // 120 small mails (batches of 50, 50, 20) and one of 2 MB (streamed alone) in the middle.
    const sizes = Array.from({ length: 121 }, (_, index) => (index === 60 ? 2 * 1024 * 1024 : 500));
    const { mailbox, log, marked, overlaps } = folderOf(sizes);
    const { rawStore } = temporaryStores();
    let cursor: MailboxCursor | undefined;
    const ingested: number[] = [];
    const record = (arrival: StoredArrival) => {
      ingested.push(arrival.uid);
      cursor = { uidValidity: arrival.uidValidity, lastUid: arrival.uid };
    };
    let downloadsDuringIngest = 0;
    const handled = await syncMailbox({
      mailbox,
      folder: 'INBOX',
      uidValidity: '9',
      rawStore,
      cursorOf: async () => cursor,
      logger: createSilentLogger(),
      signal: new AbortController().signal,
      onIngested: () => undefined,
      ingest: async (arrival) => record(arrival),
      ingestBatch: async (arrivals) => {
        const before = log.length;
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (log.slice(before).some((line) => /^(fetch|download) .* start$/.test(line))) downloadsDuringIngest += 1;
        arrivals.forEach(record);
        return { results: arrivals };
      },
    });

    expect(handled).toBe(121);
    expect(ingested).toEqual(sizes.map((_, index) => index + 1));
    expect(marked).toEqual(ingested);
    expect(overlaps()).toBe(0);
    // Each of the four batches but the last had the next step's download under way while it was ingested.
    expect(downloadsDuringIngest).toBe(3);
    expect(log.filter((line) => line.endsWith(' start'))).toEqual(['list 1:2000 answering news start', 'fetch 1-50 start', 'fetch 51-60 start', 'mark 1-50 start', 'download 61 start', 'mark 51-60 start', 'fetch 62-111 start', 'mark 61-61 start', 'fetch 112-121 start', 'mark 62-111 start', 'mark 112-121 start', 'list 122:2121 start', 'list 2122:* start']);
  });

  it('lists the folder a window of UIDs at a time, so the first mail is ingested before the rest are listed; a gap wider than a window is crossed', async () => {
    // UIDs 1-25, then (mail expunged long ago) 500-509: windows of 10.
    const uids = [...Array.from({ length: 25 }, (_, index) => index + 1), ...Array.from({ length: 10 }, (_, index) => 500 + index)];
    const { mailbox, log, marked } = folderOf(uids.map(() => 300), { uids });
    const { rawStore } = temporaryStores();
    let cursor: MailboxCursor | undefined;
    const firstIngestAt: number[] = [];
    const traces: StoredArrival['trace'][] = [];
    const heardAt = performance.now();
    const handled = await syncMailbox({
      mailbox,
      folder: 'INBOX',
      uidValidity: '9',
      rawStore,
      cursorOf: async () => cursor,
      logger: createSilentLogger(),
      signal: new AbortController().signal,
      onIngested: () => undefined,
      listWindow: 10,
      heardAt,
      ingest: async () => undefined,
      ingestBatch: async (arrivals) => {
        traces.push(...arrivals.map((arrival) => arrival.trace));
        if (firstIngestAt.length === 0) firstIngestAt.push(log.filter((line) => line.startsWith('list ') && line.endsWith(' start')).length);
        cursor = { uidValidity: '9', lastUid: (arrivals.at(-1) as StoredArrival).uid };
        return { results: arrivals };
      },
    });

    expect(handled).toBe(35);
    expect(marked).toEqual(uids);
    // One listing before the first mail was ingested.
    expect(firstIngestAt).toEqual([1]);
    // Only the pass's first listing answers the news it woke for: news the server reports during the pass may
    // be about mail below a later window, and must wake the next pass.
    expect(log.filter((line) => line.startsWith('list ') && line.endsWith(' start'))).toEqual([
      'list 1:10 answering news start',
      'list 11:20 start',
      'list 21:30 start',
      'list 26:35 start',
      'list 36:* start',
      'list 510:519 start',
      'list 520:* start',
    ]);
    // The stage trace: the news the pass answers goes with the first window only (later ones were waiting
    // already); every message was listed before it was fetched and stored.
    expect(traces).toHaveLength(35);
    expect(traces.slice(0, 10).every((trace) => trace.heardAt === heardAt)).toBe(true);
    expect(traces.slice(10).every((trace) => trace.heardAt === undefined)).toBe(true);
    expect(traces.every((trace) => (trace.listedAt as number) >= heardAt && (trace.fetchedAt as number) >= (trace.listedAt as number))).toBe(true);
  });

  it('marks only the messages committed before a failure, raises it, and the next pass starts right after them', async () => {
    const { mailbox, marked } = folderOf(Array.from({ length: 8 }, () => 400));
    const { rawStore } = temporaryStores();
    let cursor: MailboxCursor | undefined;
    let failAt: number | undefined = 5;
    const ingested: number[] = [];
    const pass = () =>
      syncMailbox({
        mailbox,
        folder: 'INBOX',
        uidValidity: '9',
        rawStore,
        cursorOf: async () => cursor,
        logger: createSilentLogger(),
        signal: new AbortController().signal,
        onIngested: () => undefined,
        ingest: async () => undefined,
        ingestBatch: async (arrivals) => {
          const results: StoredArrival[] = [];
          for (const arrival of arrivals) {
            if (arrival.uid === failAt) return { results, error: new Error('disk full') };
            ingested.push(arrival.uid);
            cursor = { uidValidity: '9', lastUid: arrival.uid };
            results.push(arrival);
          }
          return { results };
        },
      });

    await expect(pass()).rejects.toThrow('disk full');
    expect(marked).toEqual([1, 2, 3, 4]);
    failAt = undefined;
    await expect(pass()).resolves.toBe(4);
    expect(ingested).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(marked).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
