import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import pg from 'pg';
import type { Db } from '../../shared/db.js';
import { createOutboxRepository } from './outbox.repository.js';

// Milliseconds on purpose: both dialects keep them (timestamp_ms, timestamptz(3)).
const at = new Date('2026-12-06T03:00:00.123Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const page = { kind: 'page' as const, event: { routing_key: 'k', event_action: 'trigger' as const, dedup_key: 'CS-1', payload: { summary: 's', source: 'ticketd', severity: 'critical' as const } } };
const mail = { from: 'help@cloudsoft.test', to: ['alice@acme.test'], subject: 'Hello', text: 'Hi', messageId: 'hello.1@cloudsoft.test' };

describe.each(DIALECTS)('the outbox repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  describe('claiming an outbox row for a delivery attempt', () => {
    it('gives a due row to one worker at a time', async () => {
      const outbox = createOutboxRepository({ db });
      await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
      const [row] = await outbox.listDue({ now: at, limit: 10 });
      expect(row?.effectKey).toBe('page:CS-1');
      expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'one' })).toBe(true);
      expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'two' })).toBe(false);
      expect((await outbox.findById(row!.id))?.leaseOwner).toBe('one');
      expect((await outbox.findById(row!.id))?.leaseUntil).toEqual(later(60_000));
    });

    it('lets exactly one of several workers claiming the same row at once win it', async () => {
      const setup = createOutboxRepository({ db });
      await setup.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
      const [row] = await setup.listDue({ now: at, limit: 10 });
      // Each worker with its repository, all claiming at once (each claim in its own write).
      const owners = ['w1', 'w2', 'w3', 'w4', 'w5'];
      const won = await Promise.all(owners.map((owner) => createOutboxRepository({ db }).claim({ id: row!.id, now: at, leaseMs: 60_000, owner })));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await setup.findById(row!.id))?.leaseOwner).toBe(owners[won.indexOf(true)]);
    });

    it('takes over a lease once it has expired, and never a row that is not due or no longer pending', async () => {
      const outbox = createOutboxRepository({ db });
      await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
      await outbox.enqueue({ effectKey: 'page:CS-2', ticketId: null, payload: page, at: later(5_000) });
      const [first, second] = await outbox.list();
      expect(await outbox.claim({ id: first!.id, now: at, leaseMs: 1_000, owner: 'one' })).toBe(true);
      // Still leased at its last millisecond; free one millisecond after.
      expect(await outbox.claim({ id: first!.id, now: later(1_000), leaseMs: 1_000, owner: 'two' })).toBe(false);
      expect(await outbox.claim({ id: first!.id, now: later(1_001), leaseMs: 1_000, owner: 'two' })).toBe(true);
      expect(await outbox.claim({ id: second!.id, now: at, leaseMs: 1_000, owner: 'one' })).toBe(false);
      await outbox.markSent({ id: first!.id, at });
      expect(await outbox.claim({ id: first!.id, now: later(60_000), leaseMs: 1_000, owner: 'three' })).toBe(false);
      expect(await outbox.claim({ id: 999_999, now: at, leaseMs: 1_000, owner: 'one' })).toBe(false);
    });

    it('refuses a row listed as due that another worker has since attempted and put off', async () => {
      const outbox = createOutboxRepository({ db });
      await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
      const [listed] = await outbox.listDue({ now: at, limit: 10 });
      // Another instance attempts it meanwhile: it fails and is retried in a minute.
      await outbox.markRetry({ id: listed!.id, nextAttemptAt: later(60_000), error: 'HTTP 503' });
      expect(await outbox.claim({ id: listed!.id, now: at, leaseMs: 60_000, owner: 'stale' })).toBe(false);
      expect(await outbox.claim({ id: listed!.id, now: later(60_000), leaseMs: 60_000, owner: 'later' })).toBe(true);
    });

    it('claims inside a caller transaction, and the claim is undone with it', async () => {
      const outbox = createOutboxRepository({ db });
      await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
      const [row] = await outbox.list();
      await expect(
        db.transaction(async () => {
          expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'one' })).toBe(true);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'two' })).toBe(true);
    });
  });

  it('enqueues an effect once per effect key', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'notify:CS-1', ticketId: 7, payload: { kind: 'email', mail }, at });
    await outbox.enqueue({ effectKey: 'notify:CS-1', ticketId: 7, payload: page, at: later(1) });
    const rows = await outbox.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'email', effectKey: 'notify:CS-1', ticketId: 7, status: 'pending', attempts: 0, nextAttemptAt: at, createdAt: at, leaseUntil: null, sentAt: null, payload: { kind: 'email', mail } });
    expect(await outbox.countPending()).toBe(1);
  });

  it('lists due rows oldest first, only those of the kinds asked, at most the limit', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'b', ticketId: null, payload: page, at: later(2) });
    await outbox.enqueue({ effectKey: 'a', ticketId: null, payload: { kind: 'email', mail }, at: later(1) });
    await outbox.enqueue({ effectKey: 'c', ticketId: null, payload: page, at: later(1) });
    await outbox.enqueue({ effectKey: 'future', ticketId: null, payload: page, at: later(3) });
    const keys = async (options: Parameters<typeof outbox.listDue>[0]) => (await outbox.listDue(options)).map((row) => row.effectKey);
    expect(await keys({ now: later(2), limit: 10 })).toEqual(['a', 'c', 'b']);
    expect(await keys({ now: later(2), limit: 2 })).toEqual(['a', 'c']);
    expect(await keys({ now: later(2), limit: 10, kinds: ['page'] })).toEqual(['c', 'b']);
    expect(await keys({ now: later(2), limit: 10, kinds: ['page', 'webhook'] })).toEqual(['c', 'b']);
    expect(await keys({ now: later(0), limit: 10 })).toEqual([]);
  });

  it('knows whose leases still run, and releases the leases of a worker that is gone', async () => {
    const outbox = createOutboxRepository({ db });
    for (const key of ['a', 'b', 'c']) await outbox.enqueue({ effectKey: key, ticketId: null, payload: page, at });
    const [a, b, c] = await outbox.list();
    await outbox.claim({ id: a!.id, now: at, leaseMs: 60_000, owner: 'host:1' });
    await outbox.claim({ id: b!.id, now: at, leaseMs: 60_000, owner: 'host:1' });
    await outbox.claim({ id: c!.id, now: at, leaseMs: 1_000, owner: 'host:2' });
    expect((await outbox.activeLeaseOwners({ now: at })).sort()).toEqual(['host:1', 'host:2']);
    expect(await outbox.activeLeaseOwners({ now: later(1_000) })).toEqual(['host:1']);
    expect(await outbox.releaseLeasesOf('host:1')).toBe(2);
    expect(await outbox.releaseLeasesOf('host:1')).toBe(0);
    expect(await outbox.activeLeaseOwners({ now: at })).toEqual(['host:2']);
    expect(await outbox.releaseLeasesOf('nobody')).toBe(0);
    expect(await outbox.claim({ id: a!.id, now: at, leaseMs: 60_000, owner: 'host:3' })).toBe(true);
  });

  it('drops a sealed link secret in the same write that marks the mail sent', async () => {
    const outbox = createOutboxRepository({ db });
    const sealedMail = { ...mail, subject: 'Set your password', text: 'Open {{link}}', messageId: 'welcome.1@cloudsoft.test' };
    await outbox.enqueue({ effectKey: 'welcome:alice@acme.test', ticketId: null, payload: { kind: 'email', mail: sealedMail, sealed: [{ placeholder: '{{link}}', box: 'sealed-box' }] }, at });
    const [row] = await outbox.listDue({ now: at, limit: 10 });
    await outbox.markSent({ id: row!.id, at: later(5) });
    const sent = await outbox.findById(row!.id);
    expect(sent).toMatchObject({ status: 'sent', sentAt: later(5), attempts: 1, lastError: null, leaseUntil: null });
    expect(sent?.payload).toEqual({ kind: 'email', mail: sealedMail });
    expect(await outbox.countPending()).toBe(0);
    expect(await outbox.listDue({ now: later(60_000), limit: 10 })).toEqual([]);
  });

  it('counts attempts through retries and the dead letter, requeues it, and lists by status', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'a', ticketId: null, payload: page, at });
    await outbox.enqueue({ effectKey: 'b', ticketId: null, payload: page, at });
    const [a, b] = await outbox.list();
    await outbox.claim({ id: a!.id, now: at, leaseMs: 60_000, owner: 'one' });
    await outbox.markRetry({ id: a!.id, nextAttemptAt: later(30_000), error: 'HTTP 503' });
    expect(await outbox.findById(a!.id)).toMatchObject({ attempts: 1, nextAttemptAt: later(30_000), lastError: 'HTTP 503', leaseUntil: null, status: 'pending' });
    await outbox.markFailed({ id: a!.id, error: 'HTTP 400' });
    expect(await outbox.findById(a!.id)).toMatchObject({ attempts: 2, lastError: 'HTTP 400', status: 'failed' });
    expect((await outbox.list({ status: 'failed' })).map((row) => row.id)).toEqual([a!.id]);
    expect((await outbox.list({ status: 'pending' })).map((row) => row.id)).toEqual([b!.id]);
    expect(await outbox.countPending()).toBe(1);
    expect(await outbox.requeue({ id: a!.id, at: later(60_000) })).toBe(true);
    expect(await outbox.findById(a!.id)).toMatchObject({ status: 'pending', nextAttemptAt: later(60_000), attempts: 2 });
    expect(await outbox.requeue({ id: 999_999, at })).toBe(false);
    expect(await outbox.findById(999_999)).toBeUndefined();
    expect(await outbox.countPending()).toBe(2);
  });

  describe('taking the next due row (claimNext)', () => {
    it('takes the oldest due row nobody holds, of the kinds asked, never one in `except`, and nothing not yet due', async () => {
      const outbox = createOutboxRepository({ db });
      await outbox.enqueue({ effectKey: 'mail', ticketId: null, payload: { kind: 'email', mail }, at });
      await outbox.enqueue({ effectKey: 'page-2', ticketId: null, payload: page, at: later(2) });
      await outbox.enqueue({ effectKey: 'page-1', ticketId: null, payload: page, at: later(1) });
      await outbox.enqueue({ effectKey: 'future', ticketId: null, payload: page, at: later(60_000) });
      const take = (kinds?: Array<'page' | 'email' | 'webhook'>, except: number[] = []) => outbox.claimNext({ now: later(10), leaseMs: 60_000, owner: 'host:1', ...(kinds ? { kinds } : {}), except });
      const first = await take(['page']);
      expect(first?.effectKey).toBe('page-1');
      expect((await outbox.findById(first?.id ?? 0))?.leaseOwner).toBe('host:1');
      const pending = await outbox.list({ status: 'pending' });
      const second = pending.find((row) => row.effectKey === 'page-2');
      expect((await take(['page'], [second?.id ?? 0]))?.effectKey).toBeUndefined(); // page-2 excluded, page-1 held
      expect((await take(['page']))?.effectKey).toBe('page-2');
      expect(await take(['page'])).toBeUndefined(); // the future page is not due
      expect((await take())?.effectKey).toBe('mail');
    });

    if (dialect === 'postgresql') {
      it('passes over a row another transaction has locked instead of waiting for it (SKIP LOCKED)', async () => {
        const outbox = createOutboxRepository({ db });
        await outbox.enqueue({ effectKey: 'locked', ticketId: null, payload: page, at });
        await outbox.enqueue({ effectKey: 'free', ticketId: null, payload: page, at: later(1) });
        const [locked] = (await outbox.list({ status: 'pending' })).filter((row) => row.effectKey === 'locked');
        // Another instance in the middle of taking that row: a connection of its own holding its row lock.
        const other = new pg.Client({ connectionString: db.path });
        await other.connect();
        try {
          await other.query('begin');
          await other.query('select id from outbox where id = $1 for update', [locked?.id]);
          const taken = await Promise.race([outbox.claimNext({ now: later(10), leaseMs: 60_000, owner: 'host:2' }), new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3_000))]);
          expect(taken === 'waited' ? taken : taken?.effectKey).toBe('free');
          await other.query('rollback');
        } finally {
          await other.end();
        }
      });
    }
  });
});
