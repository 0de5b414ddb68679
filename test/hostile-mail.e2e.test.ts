import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { rawDate } from '../src/shared/db-results.js';
import type { DaemonDatabase } from './support/exactly-once.js';
import { customerMail } from './support/mail-factory.js';
import { startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';
import { stackDatabase, startTestStack } from './support/test-stack.js';

const BUDGET_MS = 1000;
const FAST = { outbox: { pollSeconds: 0.2 }, imap: { pollCron: '* * * * * *' }, limits: { messageBudgetMs: BUDGET_MS } };
const waitLong = { timeout: 60_000, interval: 200 };

type Row = { uid: number; outcome: string; reason: string; received_at: number };

/**
 * Classes 5 and 8 of issue 14 on the mailbox path that matters: Dovecot, the daemon (its parse worker), the
 * SMTP peer and the paging receiver. Intake handles one mail at a time, so a mail that costs CPU or never
 * finishes parsing would hold up every customer's mail behind it.
 */
describe('mail that costs CPU cannot stall intake', () => {
  let stack: LocalStack | undefined;
  const daemons: DaemonProcess[] = [];
  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((daemon) => daemon.stop('SIGKILL')));
    await stack?.close();
    stack = undefined;
  });

  /** The daemon's inbound log, read on a connection of its own: its SQLite file or its PostgreSQL database. */
  const rows = async (database: DaemonDatabase): Promise<Row[]> => {
    const query = 'select uid, outcome, reason, received_at from inbound_messages order by uid';
    let found: Array<Omit<Row, 'received_at'> & { received_at: unknown }>;
    if ('url' in database) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        found = (await client.query<Row>(query)).rows;
      } finally {
        await client.end();
      }
    } else {
      const db = new Database(database.path, { readonly: true, fileMustExist: true });
      try {
        found = db.prepare(query).all() as Row[];
      } finally {
        db.close();
      }
    }
    // Milliseconds on both: SQLite stores them, PostgreSQL answers a timestamp.
    return found.map((row) => ({ ...row, uid: Number(row.uid), received_at: rawDate(row.received_at).getTime() }));
  };

  it('class 8: parses the 186-byte mail mailparser never finished in milliseconds, and quarantines a mail over its budget once, without holding up the next one longer', async () => {
    stack = await startTestStack();
    // A budget far below what a 2 MB mail needs, so the over-budget path runs on purpose.
    const configFile = await stack.writeConfig('ticketd.yaml', { ...FAST, limits: { messageBudgetMs: 300, messageBudgetMsPerMiB: 0 } });
    const database = stackDatabase(stack);
    // One part, an inline message/rfc822 with an empty body: mailparser 3.14 waited for it forever.
    const hang = ['From: alice@acme.test', 'To: help@cloudsoft.test', 'Subject: SEV3 x', 'Message-ID: <hang@acme.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: message/rfc822', 'Content-Disposition: inline', '', '--b--', ''].join('\r\n');
    expect(hang.length).toBeLessThan(250);
    // 13 MB of log lines: about 1 s of parsing here (60-80 ms per MiB), well over the 300 ms budget (4.5 MB was
    // too close to it once the parse worker got faster).
    const slow = customerMail({ subject: 'SEV3 long log', messageId: 'slow@acme.test', body: `${'2026-11-25 09:00:00 ERROR connection refused\r\n'.repeat(300_000)}` });
    const daemon = startDaemonProcess(configFile);
    daemons.push(daemon);
    // A first mail once the daemon runs: what follows is measured on a warm daemon, not its start-up.
    await stack.deliver(customerMail({ subject: 'SEV3 warm-up', messageId: 'warm@acme.test' }));
    await vi.waitFor(async () => expect(await rows(database)).toHaveLength(1), waitLong);
    await stack.deliverMany([hang, slow, customerMail({ subject: 'SEV1 checkout down', messageId: 'behind@acme.test' })]);

    await vi.waitFor(async () => expect(await rows(database)).toHaveLength(4), waitLong);
    const [, hangRow, slowRow, behind] = await rows(database);
    expect([hangRow?.outcome, slowRow?.outcome, behind?.outcome]).toEqual(['ticket', 'quarantined', 'ticket']);
    expect(slowRow?.reason).toMatch(/^over-budget: /);
    const hangMs = (slowRow?.received_at ?? 0) - (hangRow?.received_at ?? 0);
    // The slow mail holds the next one up by its budget plus the load of the worker that replaces the terminated
    // one (~0.3 s: the daemon keeps no spare worker, parse-pool.ts), never by the old 30 s parse timeout. The
    // margin is for a busy CI machine.
    const heldMs = (behind?.received_at ?? 0) - (slowRow?.received_at ?? 0);
    console.log('class 8: the 186-byte mail took (ms)', hangMs, 'the over-budget mail held up the next one (ms)', heldMs);
    expect(hangMs).toBeLessThan(2000); // it waited out the 30 s parse timeout before
    expect(heldMs).toBeLessThan(300 + 2000);

    // After a restart nothing is parsed again: the over-budget outcome was committed with the cursor.
    expect(await daemon.stop('SIGTERM')).toBe(0);
    const restarted = startDaemonProcess(configFile);
    daemons.push(restarted);
    await stack.deliver(customerMail({ subject: 'SEV3 after the restart', messageId: 'after@acme.test' }));
    await vi.waitFor(async () => expect(await rows(database)).toHaveLength(5), waitLong);
    expect(restarted.logs()).not.toContain('over its budget');
    const quarantined = await ticketdJson<Array<{ reason: string }>>(['quarantine', 'list', '--config', configFile, '--json']);
    expect(quarantined.map((item) => item.reason.split(':')[0])).toEqual(['over-budget']);
  });

  it('class 5: reads the severity of "sev" followed by a megabyte of blanks at once, and the SEV1 behind it pages without delay', async () => {
    stack = await startTestStack();
    const configFile = await stack.writeConfig('ticketd.yaml', FAST);
    const database = stackDatabase(stack);
    const bomb = customerMail({ subject: 'sev', messageId: 'bomb@acme.test', body: `sev${' '.repeat(1_000_000)}x\r\n${'> sev\t'.repeat(100_000)}` });
    daemons.push(startDaemonProcess(configFile));
    await stack.deliver(customerMail({ subject: 'SEV3 warm-up', messageId: 'warm@acme.test' }));
    await vi.waitFor(async () => expect(await rows(database)).toHaveLength(1), waitLong);
    const started = Date.now();
    await stack.deliverMany([bomb, customerMail({ subject: 'SEV1 database down', messageId: 'urgent@acme.test' })]);

    await vi.waitFor(() => expect(stack?.receiver.requests.filter((request) => request.path === '/v2/enqueue')).toHaveLength(3), waitLong);
    const [, bombRow, urgentRow] = await rows(database);
    expect([bombRow?.outcome, urgentRow?.outcome]).toEqual(['ticket', 'ticket']);
    const tickets = await ticketdJson<Array<{ subject: string; severity: string }>>(['tickets', 'list', '--config', configFile, '--json']);
    expect(tickets.map((ticket) => [ticket.subject, ticket.severity])).toEqual([
      ['SEV3 warm-up', 'SEV3'],
      ['sev', 'SEV3'],
      ['SEV1 database down', 'SEV1'],
    ]);
    const bombMs = (urgentRow?.received_at ?? 0) - (bombRow?.received_at ?? 0);
    console.log('class 5: the 1.6 MB sev mail held up the next one (ms)', bombMs, 'delivery to both pages (ms)', Date.now() - started);
    // Parsed and read well within its budget (1 s + 250 ms per MiB), where the old severity regex took ~10 s.
    expect(bombMs).toBeLessThan(BUDGET_MS + (250 * bomb.length) / 1_048_576);
  });
});
