import { chown, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { databaseWatcher, startDaemonChild } from './daemon.js';
import { plainMail } from './mails.js';
import { waitUntil } from './stats.js';

export type FirstOutcomeRun = {
  /** From the daemon's "IMAP mailbox opened" to the first inbound row visible in SQLite. */
  openedToFirstMs: number;
  /** The same from spawning the process (Node start-up, migrations, connecting included). */
  spawnToFirstMs: number;
  /** Baseline, same run: one bare listing of every UID and size of the folder (what a pass did first before). */
  bareFullListMs: number;
  load: number;
};

function imapClient(stack: LocalStack): ImapFlow {
  const client = new ImapFlow({ host: stack.imap.host, port: stack.imap.port, secure: false, auth: { user: stack.imap.user, pass: stack.imap.password }, logger: false });
  client.on('error', () => undefined);
  return client;
}

/**
 * `count` small customer mails put into the folder's maildir as files, the way a migrated mailbox arrives
 * (APPENDing 100,000 over IMAP slows to tens per second as Dovecot's index grows); Dovecot gives them UIDs
 * when the folder is next opened (the bare listing below, before the daemon starts).
 */
export async function fillManySmall(built: Built, stack: LocalStack, folder: string, count: number): Promise<number> {
  await built.createMailbox({ ...stack.imap, mailbox: folder });
  const started = performance.now();
  const maildir = path.join(stack.dovecot.dir, 'mail', stack.imap.user, `.${folder}`);
  const owner = await stat(path.join(maildir, 'cur'));
  const seconds = Math.floor(Date.now() / 1000);
  for (let n = 0; n < count; n += 1) {
    const file = path.join(maildir, 'new', `${seconds}.M${n}P${process.pid}.bench`);
    await writeFile(file, plainMail({ from: `user${n % 97}@acme.test`, subject: `SEV3 waiting mail ${n}`, messageId: `waiting-${n}@mail.acme.test`, body: `Mail ${n} of a backlog.` }));
    if (process.getuid?.() === 0) await chown(file, owner.uid, owner.gid);
  }
  return (performance.now() - started) / 1000;
}

async function bareFullList(stack: LocalStack, folder: string): Promise<number> {
  const client = imapClient(stack);
  await client.connect();
  try {
    await client.mailboxOpen(folder, { readOnly: true });
    const started = performance.now();
    const listed = await client.fetchAll('1:*', { uid: true, size: true }, { uid: true });
    if (listed.length === 0) throw new Error('the bare listing found no mail');
    return performance.now() - started;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * A folder holding `count` mails when the daemon starts (fresh database): how soon the first one has its
 * recorded outcome. The daemon is stopped as soon as it has; draining the rest is the backlog part's figure.
 */
export async function runFirstOutcome(stack: LocalStack, { runs, folder, log }: { runs: number; folder: string; log: (line: string) => void }): Promise<FirstOutcomeRun[]> {
  const results: FirstOutcomeRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const bareFullListMs = await bareFullList(stack, folder);
    const dbPath = path.join(stack.dir, `first-${run}`, 'ticketd.sqlite');
    const configFile = await stack.writeConfig(`first-${run}.yaml`, {
      database: { path: dbPath },
      imap: { mailbox: folder, pollCron: '*/30 * * * * *' },
      outbox: { pollSeconds: 5 },
      limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 },
      log: { level: 'info' },
    });
    const watcher = databaseWatcher(dbPath);
    const spawnedAt = Date.now();
    const daemon = startDaemonChild(configFile);
    try {
      await waitUntil(() => watcher.count('select count(*) from inbound_messages') >= 1, { timeoutMs: 300_000, intervalMs: 5, what: 'the first outcome' });
      const firstAt = Date.now();
      const openedAt = daemon.loggedAt('IMAP mailbox opened') ?? spawnedAt;
      const result = { openedToFirstMs: firstAt - openedAt, spawnToFirstMs: firstAt - spawnedAt, bareFullListMs, load: os.loadavg()[0] ?? Number.NaN };
      results.push(result);
      log(`first outcome run ${run}: ${result.openedToFirstMs} ms after the mailbox opened (${result.spawnToFirstMs} ms from spawn); a bare listing of the whole folder took ${bareFullListMs.toFixed(0)} ms`);
    } finally {
      watcher.close();
      await daemon.stop();
    }
  }
  return results;
}
