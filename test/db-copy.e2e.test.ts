import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { customerMail } from './support/mail-factory.js';
import { createTestPostgresDatabase } from './support/test-database.js';
import { runTicketd, ticketdJson } from './support/ticketd-process.js';

/** A customer mail with a small text attachment. */
const withAttachment = (n: number) =>
  [
    `From: Customer <user${n}@acme.test>`,
    'To: help@cloudsoft.test',
    `Subject: SEV${n} copy ${n}`,
    `Message-ID: <copy-${n}@mail.acme.test>`,
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The disk is full, log attached.',
    '--b1',
    'Content-Type: text/plain; name="log.txt"',
    'Content-Disposition: attachment; filename="log.txt"',
    '',
    'disk full',
    '--b1--',
    '',
  ].join('\r\n');

type Ticket = { ref: string; subject: string; severity: string; messageCount: number };
type Shown = { messages: Array<{ attachments: Array<{ sha256: string }> }> };

/**
 * Moving a desk (issue 18): a SQLite desk with tickets, raw mail and an attachment is copied with `ticketd db copy`,
 * then the same commands answer the same from PostgreSQL, on an instance that has none of the old files.
 */
describe('ticketd db copy', () => {
  let dir: string;
  const base = {
    imap: { host: '127.0.0.1', port: 1, secure: false, user: 'help@cloudsoft.test', password: 'copy-imap-pw' },
    smtp: { host: '127.0.0.1', port: 1 },
    support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
    pager: { kind: 'pagerduty', url: 'http://127.0.0.1:1/v2/enqueue', routingKey: 'copy-test' },
    security: { senderAuth: 'off' },
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-dbcopy-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('copies tickets, raw mail and attachments into PostgreSQL, verified, and the desk reads the same from there', async () => {
    const sqliteConfig = path.join(dir, 'sqlite.yaml');
    await writeFile(sqliteConfig, stringify({ ...base, database: { path: path.join(dir, 'old', 'ticketd.sqlite') } }));
    for (const n of [1, 2, 3]) {
      const mail = n === 2 ? withAttachment(n) : customerMail({ from: `user${n}@acme.test`, subject: `SEV${n} copy ${n}`, messageId: `copy-${n}@mail.acme.test` });
      const ingested = await runTicketd(['ingest', '--config', sqliteConfig, '--no-deliver', '-'], { input: mail });
      expect(ingested.code, ingested.stderr).toBe(0);
    }
    const before = await ticketdJson<Ticket[]>(['tickets', 'list', '--config', sqliteConfig, '--json']);
    expect(before).toHaveLength(3);

    const url = await createTestPostgresDatabase();
    const copied = await runTicketd(['db', 'copy', '--config', sqliteConfig, '--to', url, '--json']);
    expect(copied.code, copied.stderr).toBe(0);
    const report = JSON.parse(copied.stdout) as { same: boolean; rows: number; tables: Array<{ table: string; rows: number; same: boolean }>; stores: Array<{ store: string; copied: number; missing: string[] }> };
    expect(report.same).toBe(true);
    expect(report.tables.find((entry) => entry.table === 'tickets')).toMatchObject({ rows: 3, same: true });
    expect(report.stores).toEqual([
      { store: 'raw', blobs: 3, copied: 3, missing: [] },
      { store: 'attachments', blobs: 1, copied: 1, missing: [] },
    ]);
    // A second copy into the same database is refused: nothing is merged.
    const again = await runTicketd(['db', 'copy', '--config', sqliteConfig, '--to', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds data/);

    // Another instance: PostgreSQL, the blobs in it, a folder of its own with nothing in it.
    const postgresConfig = path.join(dir, 'postgres.yaml');
    await writeFile(postgresConfig, stringify({ ...base, database: { path: path.join(dir, 'new', 'ticketd.sqlite'), url }, security: { ...base.security, linkKey: 'a'.repeat(64) } }));
    expect(await ticketdJson<Ticket[]>(['tickets', 'list', '--config', postgresConfig, '--json'])).toEqual(before);
    const migrate = await runTicketd(['migrate', '--check', '--config', postgresConfig]);
    expect(migrate.code, migrate.stderr).toBe(0);
    const withFile = before.find((ticket) => ticket.subject === 'SEV2 copy 2') as Ticket;
    const shown = await ticketdJson<Shown>(['tickets', 'show', withFile.ref, '--config', postgresConfig, '--json']);
    expect(shown.messages[0]?.attachments).toHaveLength(1);
    // New tickets go on numbering after the copied ones.
    const fourth = await runTicketd(['ingest', '--config', postgresConfig, '--no-deliver', '-'], { input: customerMail({ from: 'user4@acme.test', subject: 'SEV4 after the copy', messageId: 'copy-4@mail.acme.test' }) });
    expect(fourth.code, fourth.stderr).toBe(0);
    const after = await ticketdJson<Ticket[]>(['tickets', 'list', '--config', postgresConfig, '--json']);
    expect(after.map((ticket) => ticket.ref)).toEqual([...before.map((ticket) => ticket.ref), 'CS-4']);
  });

  it('refuses a config that is already on PostgreSQL, and a target that is not a postgres:// URL', async () => {
    const config = path.join(dir, 'on-postgres.yaml');
    await writeFile(config, stringify({ ...base, database: { url: 'postgres://ticketd@127.0.0.1:1/none' }, storage: { path: path.join(dir, 'store') } }));
    const onPostgres = await runTicketd(['db', 'copy', '--config', config, '--to', 'postgres://ticketd@127.0.0.1:1/other']);
    expect(onPostgres.code).toBe(2);
    expect(onPostgres.stderr).toMatch(/already uses database.url/);
    const sqliteConfig = path.join(dir, 'plain.yaml');
    await writeFile(sqliteConfig, stringify({ ...base, database: { path: path.join(dir, 'plain.sqlite') } }));
    const notUrl = await runTicketd(['db', 'copy', '--config', sqliteConfig, '--to', 'mysql://x']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/--to must be a postgres:\/\/ URL/);
  });
});
