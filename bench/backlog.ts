import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { databaseWatcher, postgresWatcher, startDaemonChild } from './daemon.js';
import { waitUntil } from './stats.js';

export type BacklogMix = { corpus: number; generated: number; refused: number; totalBytes: number; medianBytes: number; maxBytes: number };

export type BacklogRun = {
  messages: number;
  fetchPerSecond: number;
  parsePerSecond: number;
  parseErrors: number;
  /** From the daemon's "IMAP mailbox opened" to the last message stored with its effects queued. */
  ingestPerSecond: number;
  /** The same, counted from spawning the process (Node start-up and migrations included). */
  ingestFromSpawnPerSecond: number;
  peakRssMb: number;
  /** The same backlog again, fresh database, with `limits.parseWorkers: 2` (the runs above use the default, 1). */
  twoWorkers: { ingestPerSecond: number; peakRssMb: number };
  /** The same backlog again on PostgreSQL (a fresh database on a throwaway local server), one parse worker. */
  postgres?: { ingestPerSecond: number; peakRssMb: number };
  outcomes: Record<string, number>;
  queuedEffects: number;
  load: number;
};

export type BacklogOptions = {
  runs: number;
  folder: string;
  log: (line: string) => void;
  cpuProfileDir?: string;
  /** Makes an empty PostgreSQL database and answers its URL: each run then also ingests the backlog on PostgreSQL. */
  createPostgresDatabase?: (name: string) => Promise<string>;
};

function imapClient(stack: LocalStack): ImapFlow {
  const client = new ImapFlow({ host: stack.imap.host, port: stack.imap.port, secure: false, auth: { user: stack.imap.user, pass: stack.imap.password }, logger: false });
  client.on('error', () => undefined);
  return client;
}

/** APPENDs every raw message over one connection; a message the server refuses is counted, not fatal. */
export async function fillFolder(built: Built, stack: LocalStack, folder: string, raws: Buffer[]): Promise<{ appended: number; refused: number; seconds: number }> {
  await built.createMailbox({ ...stack.imap, mailbox: folder });
  const client = imapClient(stack);
  await client.connect();
  const started = performance.now();
  let refused = 0;
  try {
    for (const raw of raws) {
      try {
        await client.append(folder, raw);
      } catch {
        refused += 1;
      }
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return { appended: raws.length - refused, refused, seconds: (performance.now() - started) / 1000 };
}

/** The physical ceiling of the IMAP side: every source of the folder over one connection, one FETCH. */
async function bareFetch(stack: LocalStack, folder: string): Promise<{ sources: Buffer[]; seconds: number }> {
  const client = imapClient(stack);
  await client.connect();
  try {
    await client.mailboxOpen(folder, { readOnly: true });
    const sources: Buffer[] = [];
    const started = performance.now();
    for await (const message of client.fetch('1:*', { uid: true, source: true })) {
      if (message.source) sources.push(message.source);
    }
    return { sources, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** The parsing ceiling: mailparser's simpleParser on each raw Buffer, one after another, on this thread. */
async function bareParse(sources: Buffer[]): Promise<{ seconds: number; errors: number }> {
  let errors = 0;
  const started = performance.now();
  for (const source of sources) {
    try {
      await simpleParser(source);
    } catch {
      errors += 1;
    }
  }
  return { seconds: (performance.now() - started) / 1000, errors };
}

/**
 * The backlog: a folder already holding every message when the daemon starts. Each run measures, on the same
 * mails and in this order, the bare fetch rate, the bare parse rate and the daemon's ingest rate (fresh
 * database, so it syncs the whole folder), with one parse worker (the default) and then with two.
 */
export async function runBacklog(built: Built, stack: LocalStack, expected: number, { runs, folder, log, cpuProfileDir, createPostgresDatabase }: BacklogOptions): Promise<BacklogRun[]> {
  const results: BacklogRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const fetched = await bareFetch(stack, folder);
    if (fetched.sources.length !== expected) throw new Error(`bare fetch got ${fetched.sources.length} of ${expected} messages`);
    const parsed = await bareParse(fetched.sources);
    const messages = fetched.sources.length;
    fetched.sources.length = 0;

    const profiling = Boolean(cpuProfileDir) && run === runs;
    const one = await ingestOnce({ name: `backlog-${run}`, workers: 1, profiling });
    const two = await ingestOnce({ name: `backlog-${run}-2w`, workers: 2, profiling: false });
    const onPostgres = createPostgresDatabase ? await ingestOnce({ name: `backlog_${run}_pg`, workers: 1, profiling: false, postgresUrl: await createPostgresDatabase(`backlog_${run}_pg`) }) : undefined;
    const result: BacklogRun = {
      messages,
      fetchPerSecond: messages / fetched.seconds,
      parsePerSecond: messages / parsed.seconds,
      parseErrors: parsed.errors,
      ingestPerSecond: one.ingestPerSecond,
      ingestFromSpawnPerSecond: one.ingestFromSpawnPerSecond,
      peakRssMb: one.peakRssMb,
      twoWorkers: { ingestPerSecond: two.ingestPerSecond, peakRssMb: two.peakRssMb },
      ...(onPostgres ? { postgres: { ingestPerSecond: onPostgres.ingestPerSecond, peakRssMb: onPostgres.peakRssMb } } : {}),
      outcomes: one.outcomes,
      queuedEffects: one.queuedEffects,
      load: os.loadavg()[0] ?? Number.NaN,
    };
    results.push(result);
    log(
      `backlog run ${run}: ${messages} mails; bare fetch ${result.fetchPerSecond.toFixed(0)}/s, bare parse ${result.parsePerSecond.toFixed(0)}/s ` +
        `(${parsed.errors} errors), ingest ${result.ingestPerSecond.toFixed(0)}/s (${result.ingestFromSpawnPerSecond.toFixed(0)}/s from spawn), ` +
        `ratio to parse ${(result.ingestPerSecond / result.parsePerSecond).toFixed(2)}, peak RSS ${one.peakRssMb.toFixed(0)} MB, outcomes ${JSON.stringify(one.outcomes)}; ` +
        `2 parse workers: ingest ${two.ingestPerSecond.toFixed(0)}/s, ratio ${(two.ingestPerSecond / result.parsePerSecond).toFixed(2)}, peak RSS ${two.peakRssMb.toFixed(0)} MB` +
        (onPostgres ? `; PostgreSQL: ingest ${onPostgres.ingestPerSecond.toFixed(0)}/s (${(onPostgres.ingestPerSecond / result.ingestPerSecond).toFixed(2)}x SQLite), peak RSS ${onPostgres.peakRssMb.toFixed(0)} MB, outcomes ${JSON.stringify(onPostgres.outcomes)}` : ''),
    );
  }
  return results;

  /** One daemon, fresh database (SQLite, or the PostgreSQL database given), syncing the whole folder; timed until the last message is stored. */
  async function ingestOnce({ name, workers, profiling, postgresUrl }: { name: string; workers: number; profiling: boolean; postgresUrl?: string }) {
    const dbPath = path.join(stack.dir, name, 'ticketd.sqlite');
    const configFile = await stack.writeConfig(`${name}.yaml`, {
      database: postgresUrl ? { url: postgresUrl } : { path: dbPath },
      ...(postgresUrl ? { storage: { path: path.join(stack.dir, name, 'store') } } : {}),
      imap: { mailbox: folder, pollCron: '*/30 * * * * *' },
      outbox: { pollSeconds: 5 },
      // The per-sender abuse guards are not what is measured, and the bench's mail comes from few senders.
      limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000, parseWorkers: workers },
      log: { level: 'info' },
    });
    stack.smtp.clear();
    stack.receiver.clear();
    const watcher = postgresUrl ? postgresWatcher(postgresUrl) : databaseWatcher(dbPath);
    const spawnedAt = Date.now();
    const daemon = startDaemonChild(configFile, { nodeArgs: profiling && cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [] });
    try {
      let stored = 0;
      await waitUntil(async () => (stored = await watcher.count('select count(*) from inbound_messages')) >= expected, { timeoutMs: 600_000, intervalMs: 20, what: `${expected} messages stored` }).catch((error: unknown) => {
        // A run that stalls says where: how far it got and what the daemon last logged.
        throw new Error(`${name}: ${stored} of ${expected} stored when waiting stopped (${error instanceof Error ? error.message : String(error)}); the daemon's last lines:\n${daemon.logTail()}`);
      });
      const doneAt = Date.now();
      const openedAt = daemon.loggedAt('IMAP mailbox opened') ?? spawnedAt;
      return {
        ingestPerSecond: expected / ((doneAt - openedAt) / 1000),
        ingestFromSpawnPerSecond: expected / ((doneAt - spawnedAt) / 1000),
        peakRssMb: daemon.peakRssMb(),
        outcomes: Object.fromEntries((await watcher.all<{ outcome: string; n: number }>('select outcome, count(*) as n from inbound_messages group by outcome')).map((row) => [row.outcome, Number(row.n)])),
        queuedEffects: await watcher.count('select count(*) from outbox'),
      };
    } finally {
      await watcher.close();
      // SIGTERM: the clean stop writes the CPU profile when one is being taken.
      await daemon.stop();
    }
  }
}
