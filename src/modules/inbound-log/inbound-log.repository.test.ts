import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createInboundLogRepository, type NewInbound } from './inbound-log.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const inbound = (overrides: Partial<NewInbound> = {}): NewInbound => ({ source: 'INBOX', rawSha256: 'a'.repeat(64), size: 100, outcome: 'ticket', receivedAt: at, ...overrides });

describe.each(DIALECTS)('the inbound log repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('records an arrival with its defaults and finds it by id and by UID; a UID recorded twice is refused', async () => {
    const log = createInboundLogRepository({ db });
    const row = await log.insertInbound(inbound({ uidValidity: '4294967295', uid: 4_294_967_295 }));
    expect(row).toMatchObject({ source: 'INBOX', uidValidity: '4294967295', uid: 4_294_967_295, messageId: null, ticketId: null, fromAddress: '', subject: '', reason: '', outcome: 'ticket' });
    expect(row.receivedAt).toEqual(at);
    expect(await log.findById(row.id)).toEqual(row);
    expect(await log.findById(row.id + 1)).toBeUndefined();
    expect(await log.findByUid({ source: 'INBOX', uidValidity: '4294967295', uid: 4_294_967_295 })).toEqual(row);
    expect(await log.findByUid({ source: 'INBOX', uidValidity: '1', uid: 4_294_967_295 })).toBeUndefined();
    await expect(log.insertInbound(inbound({ uidValidity: '4294967295', uid: 4_294_967_295 }))).rejects.toThrow();
    expect(await log.findFirstByRawSha256('a'.repeat(64))).toEqual(row);
  });

  it('finds the earliest handled copy by Message-ID, else by content, never a duplicate nor the row itself', async () => {
    const log = createInboundLogRepository({ db });
    const duplicate = await log.insertInbound(inbound({ messageId: 'one@acme.com', outcome: 'duplicate' }));
    const first = await log.insertInbound(inbound({ messageId: 'one@acme.com', outcome: 'reply' }));
    const second = await log.insertInbound(inbound({ messageId: 'one@acme.com', outcome: 'ticket' }));
    const bare = await log.insertInbound(inbound({ rawSha256: 'b'.repeat(64) }));
    expect((await log.findHandledCopy({ messageId: 'one@acme.com', rawSha256: 'x' }))?.id).toBe(first.id);
    expect((await log.findHandledCopy({ messageId: 'one@acme.com', rawSha256: 'x', excludeId: first.id }))?.id).toBe(second.id);
    expect(await log.findHandledCopy({ messageId: 'two@acme.com', rawSha256: 'b'.repeat(64) })).toBeUndefined();
    expect((await log.findHandledCopy({ messageId: undefined, rawSha256: 'b'.repeat(64) }))?.id).toBe(bare.id);
    expect(await log.findHandledCopy({ messageId: undefined, rawSha256: 'b'.repeat(64), excludeId: bare.id })).toBeUndefined();
    expect((await log.findFirstByRawSha256('a'.repeat(64)))?.id).toBe(duplicate.id);
    expect(await log.findFirstByRawSha256('c'.repeat(64))).toBeUndefined();
  });

  it('replaces and updates an outcome, links a ticket, and counts outcomes as numbers', async () => {
    const log = createInboundLogRepository({ db });
    const row = await log.insertInbound(inbound({ outcome: 'quarantined', reason: 'spam', ticketId: 7 }));
    const replaced = await log.replaceOutcome({ id: row.id, outcome: 'ticket', reason: '', messageId: 'm@x', fromAddress: 'ann@acme.com', subject: 'Login' });
    expect(replaced).toMatchObject({ id: row.id, outcome: 'ticket', messageId: 'm@x', fromAddress: 'ann@acme.com', subject: 'Login', ticketId: null });
    await log.linkTicket({ inboundId: row.id, ticketId: 42 });
    expect((await log.findById(row.id))?.ticketId).toBe(42);
    await log.updateOutcome({ inboundId: row.id, outcome: 'held', reason: 'unregistered' });
    expect(await log.findById(row.id)).toMatchObject({ outcome: 'held', reason: 'unregistered', ticketId: 42 });
    await log.insertInbound(inbound({ outcome: 'ticket' }));
    await log.insertInbound(inbound({ outcome: 'ticket' }));
    expect(await log.countByOutcome()).toEqual({ held: 1, ticket: 2 });
  });

  it('lists held mail per sender and in all, expires what is older than the cut-off, and lists the quarantine newest first', async () => {
    const log = createInboundLogRepository({ db });
    const old = await log.insertInbound(inbound({ outcome: 'held', fromAddress: 'dave@acme.com', receivedAt: new Date(at.getTime() - 1) }));
    const cutOff = await log.insertInbound(inbound({ outcome: 'held', fromAddress: 'dave@acme.com', receivedAt: at }));
    const other = await log.insertInbound(inbound({ outcome: 'held', fromAddress: 'eve@acme.com', receivedAt: new Date(at.getTime() - 60_000) }));
    const spam = await log.insertInbound(inbound({ outcome: 'quarantined', reason: 'spam' }));
    expect((await log.listHeld('Dave@Acme.com')).map((row) => row.id)).toEqual([old.id, cutOff.id]);
    expect((await log.listAllHeld()).map((row) => row.id)).toEqual([old.id, cutOff.id, other.id]);
    const expired = await log.expireHeld({ before: at, reason: 'never confirmed' });
    expect(expired.sort((a, b) => a.id - b.id)).toEqual([
      { id: old.id, fromAddress: 'dave@acme.com' },
      { id: other.id, fromAddress: 'eve@acme.com' },
    ]);
    expect((await log.listAllHeld()).map((row) => row.id)).toEqual([cutOff.id]);
    expect((await log.listQuarantined()).map((row) => [row.id, row.reason])).toEqual([
      [spam.id, 'spam'],
      [other.id, 'never confirmed'],
      [old.id, 'never confirmed'],
    ]);
  });

  it('moves the cursor only forward within one UIDVALIDITY, and starts over on a new one', async () => {
    const log = createInboundLogRepository({ db });
    expect(await log.getCursor('INBOX')).toBeUndefined();
    await log.saveCursor({ mailbox: 'INBOX', uidValidity: '7', lastUid: 10, at });
    const later = new Date(at.getTime() + 1_000);
    await db.transaction(() => log.saveCursor({ mailbox: 'INBOX', uidValidity: '7', lastUid: 4, at: later }));
    expect(await log.getCursor('INBOX')).toEqual({ mailbox: 'INBOX', uidValidity: '7', lastUid: 10, updatedAt: later });
    await log.saveCursor({ mailbox: 'INBOX', uidValidity: '7', lastUid: 4_294_967_295, at });
    expect((await log.getCursor('INBOX'))?.lastUid).toBe(4_294_967_295);
    await log.saveCursor({ mailbox: 'INBOX', uidValidity: '8', lastUid: 3, at });
    expect(await log.getCursor('INBOX')).toEqual({ mailbox: 'INBOX', uidValidity: '8', lastUid: 3, updatedAt: at });
    expect(await log.getCursor('Archive')).toBeUndefined();
  });
});
