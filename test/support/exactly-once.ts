import Database from 'better-sqlite3';
import pg from 'pg';
import { expect, vi } from 'vitest';
import type { LocalStack } from '../../src/devservers/local-stack.js';

/** Where the daemons under test keep their data: a SQLite file, or a PostgreSQL URL. */
export type DaemonDatabase = { path: string } | { url: string };

/** One number from the daemons' database, read on a connection of its own (the daemons may be writing). */
export async function countRows(database: DaemonDatabase, sql: string): Promise<number> {
  if ('url' in database) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const row = (await client.query({ text: sql, rowMode: 'array' })).rows[0] as unknown[] | undefined;
      return Number(row?.[0] ?? 0);
    } finally {
      await client.end();
    }
  }
  const db = new Database(database.path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}

/**
 * After processes were killed while `total` customer mails (one new ticket each, paged) were worked off: waits
 * until every mail has its outcome and the outbox is empty, then checks each mail made one ticket, one confirmation
 * and one page. Only a kill between a send and its record can repeat a delivery (a worker sends one at a time),
 * so repeats are at most `kills`. Logs the repeats and returns them.
 */
export async function expectEveryMailOnce({ database, stack, total, kills, timeoutMs = 180_000 }: { database: DaemonDatabase; stack: LocalStack; total: number; kills: number; timeoutMs?: number }): Promise<{ confirmations: number; pages: number }> {
  await vi.waitFor(async () => {
    expect(await countRows(database, 'select count(*) from inbound_messages')).toBe(total);
    expect(await countRows(database, "select count(*) from outbox where status != 'sent'")).toBe(0);
  }, { timeout: timeoutMs, interval: 500 });
  expect(await countRows(database, "select count(*) from inbound_messages where outcome = 'ticket'")).toBe(total);
  expect(await countRows(database, 'select count(*) from tickets')).toBe(total);
  expect(await countRows(database, "select count(distinct message_id) from ticket_messages where direction = 'inbound'")).toBe(total);
  const confirmations = stack.smtp.received.map((mail) => mail.parsed.inReplyTo);
  const pages = stack.receiver.requests.map((request) => (request.body as { dedup_key: string }).dedup_key);
  expect(new Set(confirmations).size).toBe(total);
  expect(new Set(pages).size).toBe(total);
  const repeats = { confirmations: confirmations.length - total, pages: pages.length - total };
  console.log(`duplicate deliveries after ${kills} kills: ${repeats.confirmations} confirmations, ${repeats.pages} pages`);
  expect(repeats.confirmations + repeats.pages).toBeLessThanOrEqual(kills);
  return repeats;
}
