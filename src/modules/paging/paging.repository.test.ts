import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createOutboxRepository, type OutboxPayload } from '../outbox/outbox.repository.js';
import { createPagingRepository } from './paging.repository.js';

const at = new Date('2026-11-25T09:00:00.123Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const trigger = (routingKey: string, dedupKey = 'CS-1'): OutboxPayload => ({
  kind: 'page',
  event: { routing_key: routingKey, event_action: 'trigger', dedup_key: dedupKey, payload: { summary: 's', source: 'ticketd', severity: 'critical' } },
});
const hook = (id: string): OutboxPayload => ({
  kind: 'webhook',
  event: { id, type: 'ticket.created', occurredAt: at.toISOString(), ticket: { ref: 'CS-1', subject: 's', severity: 'SEV3', priority: 'Normal', status: 'new', organisation: 'acme.test' } },
});
const mail: OutboxPayload = { kind: 'email', mail: { from: 'help@cloudsoft.test', to: ['oncall@cloudsoft.test'], subject: 's', text: 't', messageId: 'm@cloudsoft.test' } };

describe.each(DIALECTS)('the paging repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it("finds the first trigger queued for a dedup key, of this ticket only, with its effect key's prefix taken literally", async () => {
    const outbox = createOutboxRepository({ db });
    const paging = createPagingRepository({ db });
    expect(await paging.firstTrigger({ ticketId: 1, dedupKey: 'CS-1' })).toBeUndefined();
    await outbox.enqueue({ effectKey: 'page:CS-1:trigger:SEV2', ticketId: 1, payload: trigger('first-key'), at });
    await outbox.enqueue({ effectKey: 'page:CS-1:trigger:SEV1', ticketId: 1, payload: trigger('second-key'), at });
    await outbox.enqueue({ effectKey: 'page:CS-1/sla:trigger:SEV1', ticketId: 1, payload: trigger('escalation-key', 'CS-1/sla'), at });
    await outbox.enqueue({ effectKey: 'page:CS-2:trigger:SEV1', ticketId: 2, payload: trigger('other-key', 'CS-2'), at });
    await outbox.enqueue({ effectKey: 'page:CS_3:trigger:SEV1', ticketId: 3, payload: trigger('underscore-key', 'CS_3'), at });
    expect((await paging.firstTrigger({ ticketId: 1, dedupKey: 'CS-1' }))?.routing_key).toBe('first-key');
    expect((await paging.firstTrigger({ ticketId: 1, dedupKey: 'CS-1/sla' }))?.routing_key).toBe('escalation-key');
    expect(await paging.firstTrigger({ ticketId: 1, dedupKey: 'CS-2' })).toBeUndefined();
    // Case aside (SQLite's like always ignored it for ASCII), the prefix is literal: `_` is no wildcard.
    expect((await paging.firstTrigger({ ticketId: 1, dedupKey: 'cs-1' }))?.routing_key).toBe('first-key');
    expect(await paging.firstTrigger({ ticketId: 1, dedupKey: 'CS_1' })).toBeUndefined();
    expect((await paging.firstTrigger({ ticketId: 3, dedupKey: 'CS_3' }))?.routing_key).toBe('underscore-key');
    expect(await paging.firstTrigger({ ticketId: 3, dedupKey: 'CS%' })).toBeUndefined();
  });

  it('answers no trigger when the row under the trigger key is not a page', async () => {
    const outbox = createOutboxRepository({ db });
    await outbox.enqueue({ effectKey: 'page:CS-1:trigger:odd', ticketId: 1, payload: mail, at });
    expect(await createPagingRepository({ db }).firstTrigger({ ticketId: 1, dedupKey: 'CS-1' })).toBeUndefined();
  });

  it('finds the newest row of the ticket under any of the prefixes', async () => {
    const outbox = createOutboxRepository({ db });
    const paging = createPagingRepository({ db });
    await outbox.enqueue({ effectKey: 'hook:CS-1:ticket.created', ticketId: 1, payload: hook('a'), at });
    await outbox.enqueue({ effectKey: 'hook:CS-1:ticket.escalated:sla', ticketId: 1, payload: hook('b'), at });
    await outbox.enqueue({ effectKey: 'hook:CS-1:ticket.resolved', ticketId: 1, payload: hook('c'), at });
    await outbox.enqueue({ effectKey: 'hook:CS-1:ticket.escalated', ticketId: 2, payload: hook('d'), at });
    const [created, escalated] = await outbox.list();
    expect(await paging.latestId({ ticketId: 1, prefixes: ['hook:CS-1:ticket.created'] })).toBe(created!.id);
    expect(await paging.latestId({ ticketId: 1, prefixes: ['hook:CS-1:ticket.created', 'hook:CS-1:ticket.escalated'] })).toBe(escalated!.id);
    expect(await paging.latestId({ ticketId: 1, prefixes: ['page:CS-1:trigger:'] })).toBeUndefined();
    expect(await paging.latestId({ ticketId: 9, prefixes: ['hook:'] })).toBeUndefined();
  });

  it("knows when the ticket's latest waiting page or webhook is due, to the millisecond", async () => {
    const outbox = createOutboxRepository({ db });
    const paging = createPagingRepository({ db });
    expect(await paging.latestPendingAt({ ticketId: 1 })).toBeUndefined();
    await outbox.enqueue({ effectKey: 'page:CS-1:trigger:SEV3', ticketId: 1, payload: trigger('k'), at: later(1_000) });
    await outbox.enqueue({ effectKey: 'hook:CS-1:ticket.created', ticketId: 1, payload: hook('a'), at: later(2_001) });
    await outbox.enqueue({ effectKey: 'mail:CS-1:sla-warning', ticketId: 1, payload: mail, at: later(9_000) });
    await outbox.enqueue({ effectKey: 'page:CS-2:trigger:SEV3', ticketId: 2, payload: trigger('k', 'CS-2'), at: later(9_000) });
    expect(await paging.latestPendingAt({ ticketId: 1 })).toEqual(later(2_001));
    const [, webhook] = await outbox.list();
    await outbox.markSent({ id: webhook!.id, at });
    expect(await paging.latestPendingAt({ ticketId: 1 })).toEqual(later(1_000));
  });
});
