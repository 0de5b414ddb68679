import Database from 'better-sqlite3';
import { expect, vi } from 'vitest';
import type { LocalStack } from '../../src/devservers/local-stack.js';

/** One number from the daemon's SQLite file, read on a connection of its own (the daemon may be writing). */
export function countRows(dbPath: string, sql: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
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
export async function expectEveryMailOnce({ dbPath, stack, total, kills }: { dbPath: string; stack: LocalStack; total: number; kills: number }): Promise<{ confirmations: number; pages: number }> {
  await vi.waitFor(() => {
    expect(countRows(dbPath, 'select count(*) from inbound_messages')).toBe(total);
    expect(countRows(dbPath, "select count(*) from outbox where status != 'sent'")).toBe(0);
  }, { timeout: 180_000, interval: 500 });
  expect(countRows(dbPath, "select count(*) from inbound_messages where outcome = 'ticket'")).toBe(total);
  expect(countRows(dbPath, 'select count(*) from tickets')).toBe(total);
  expect(countRows(dbPath, "select count(distinct message_id) from ticket_messages where direction = 'inbound'")).toBe(total);
  const confirmations = stack.smtp.received.map((mail) => mail.parsed.inReplyTo);
  const pages = stack.receiver.requests.map((request) => (request.body as { dedup_key: string }).dedup_key);
  expect(new Set(confirmations).size).toBe(total);
  expect(new Set(pages).size).toBe(total);
  const repeats = { confirmations: confirmations.length - total, pages: pages.length - total };
  console.log(`duplicate deliveries after ${kills} kills: ${repeats.confirmations} confirmations, ${repeats.pages} pages`);
  expect(repeats.confirmations + repeats.pages).toBeLessThanOrEqual(kills);
  return repeats;
}
