import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../shared/db.js';
import { createOutboxRepository } from './outbox.repository.js';

let db: Db;
beforeEach(() => {
  db = openDatabase({ path: ':memory:' });
});
afterEach(() => db.close());

const at = new Date('2026-12-06T03:00:00Z');
const page = { kind: 'page' as const, event: { routing_key: 'k', event_action: 'trigger' as const, dedup_key: 'CS-1', payload: { summary: 's', source: 'ticketd', severity: 'critical' as const } } };

describe('claiming an outbox row for a delivery attempt', () => {
  it('gives a due row to one worker at a time', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
    const [row] = await outbox.listDue({ now: at, limit: 10 });
    expect(row?.effectKey).toBe('page:CS-1');
    expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'one' })).toBe(true);
    expect(await outbox.claim({ id: row!.id, now: at, leaseMs: 60_000, owner: 'two' })).toBe(false);
  });

  it('refuses a row listed as due that another worker has since attempted and put off', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
    const [listed] = await outbox.listDue({ now: at, limit: 10 });
    // Another instance attempts it meanwhile: it fails and is retried in a minute.
    await outbox.markRetry({ id: listed!.id, nextAttemptAt: new Date(at.getTime() + 60_000), error: 'HTTP 503' });
    expect(await outbox.claim({ id: listed!.id, now: at, leaseMs: 60_000, owner: 'stale' })).toBe(false);
    expect(await outbox.claim({ id: listed!.id, now: new Date(at.getTime() + 60_000), leaseMs: 60_000, owner: 'later' })).toBe(true);
  });

  it('drops a sealed link secret in the same write that marks the mail sent', async () => {
    const outbox = createOutboxRepository({ db });
    const mail = { from: 'help@cloudsoft.test', to: ['alice@acme.test'], subject: 'Set your password', text: 'Open {{link}}', messageId: 'welcome.1@cloudsoft.test' };
    await outbox.enqueue({ effectKey: 'welcome:alice@acme.test', ticketId: null, payload: { kind: 'email', mail, sealed: [{ placeholder: '{{link}}', box: 'sealed-box' }] }, at });
    const [row] = await outbox.listDue({ now: at, limit: 10 });
    await outbox.markSent({ id: row!.id, at });
    const sent = await outbox.findById(row!.id);
    expect(sent?.status).toBe('sent');
    expect(sent?.payload).toEqual({ kind: 'email', mail });
  });
});
