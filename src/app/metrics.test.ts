import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { closeDatabase, type Db } from '../shared/db.js';
import { createMetrics } from './metrics.js';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { DIALECTS, openTestDatabase } from '../../test/support/test-database.js';

const sample = (text: string, series: string) => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.slice(series.length + 1));

describe('metrics', () => {
  const open: Db[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await closeDatabase(db);
  });
  async function freshDb(): Promise<Db> {
    const db = await openTestDatabase();
    open.push(db);
    return db;
  }
  const at = new Date('2026-11-25T09:00:00Z');
  const page = { kind: 'page' as const, event: { routing_key: 'k', event_action: 'trigger' as const, dedup_key: 'CS-1', payload: { summary: 's', severity: 'critical' as const, source: 'ticketd' } } };

  it('keeps two instances apart and never touches prom-client’s global registry', async () => {
    const first = createMetrics({ db: await freshDb(), processMetrics: false });
    const second = createMetrics({ db: await freshDb(), processMetrics: false });
    first.recordDeliveryAttempt({ kind: 'email', result: 'sent', createdAt: at, at });

    expect(sample(await first.render(), 'ticketd_delivery_attempts_total{kind="email",result="sent"}')).toBe(1);
    expect(await second.render()).not.toContain('ticketd_delivery_attempts_total{');
    expect(await globalRegistry.metrics()).not.toContain('ticketd_');
  });

  it('reads the outbox depth and the age of its oldest pending row from the database on each scrape', async () => {
    const db = await freshDb();
    let now = new Date(at.getTime() + 90_000);
    const metrics = createMetrics({ db, clock: { now: () => now }, processMetrics: false });
    expect(sample(await metrics.render(), 'ticketd_outbox_oldest_pending_age_seconds')).toBe(0);

    await createOutboxRepository({ db }).enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: page, at });
    expect(sample(await metrics.render(), 'ticketd_outbox_pending')).toBe(1);
    expect(sample(await metrics.render(), 'ticketd_outbox_oldest_pending_age_seconds')).toBe(90);
    now = new Date(at.getTime() + 120_000);
    expect(await metrics.oldestPendingAgeSeconds()).toBe(120);
  });

  it('observes the ingest-to-page latency only for pages that were accepted', async () => {
    const metrics = createMetrics({ db: await freshDb(), processMetrics: false });
    metrics.recordDeliveryAttempt({ kind: 'page', result: 'retry', createdAt: at, at: new Date(at.getTime() + 1_000) });
    metrics.recordDeliveryAttempt({ kind: 'page', result: 'sent', createdAt: at, at: new Date(at.getTime() + 4_000) });
    metrics.recordDeliveryAttempt({ kind: 'email', result: 'sent', createdAt: at, at: new Date(at.getTime() + 9_000) });
    const text = await metrics.render();
    expect(sample(text, 'ticketd_ingest_to_page_seconds_count')).toBe(1);
    expect(sample(text, 'ticketd_ingest_to_page_seconds_sum')).toBe(4);
    expect(sample(text, 'ticketd_ingest_to_page_seconds_bucket{le="5"}')).toBe(1);
    expect(sample(text, 'ticketd_ingest_to_page_seconds_bucket{le="2.5"}')).toBe(0);
    expect(sample(text, 'ticketd_delivery_attempts_total{kind="page",result="retry"}')).toBe(1);
  });
});

describe.each(DIALECTS)('metrics read from %s', (dialect) => {
  it('counts messages by outcome, quarantined ones by the first word of their reason, and the outbox', async () => {
    const db = await openTestDatabase(dialect);
    const at = new Date('2026-12-06T05:00:00Z');
    const t = db.tables({ inboundMessages });
    const message = (outcome: 'ticket' | 'quarantined', reason: string, n: number) => ({ source: 'imap', rawSha256: `${n}`.padStart(64, '0'), size: 10, outcome, reason, receivedAt: at });
    await db.write(async () => {
      await db.insert(t.inboundMessages).values([message('ticket', '', 1), message('quarantined', 'flood-guard: 31 in an hour', 2), message('quarantined', 'flood-guard: 32 in an hour', 3), message('quarantined', 'Hostile <b>text</b>', 4)]);
    });
    await createOutboxRepository({ db }).enqueue({ effectKey: 'page:CS-1', ticketId: null, payload: { kind: 'page', event: { routing_key: 'k', event_action: 'trigger', dedup_key: 'CS-1', payload: { summary: 's', severity: 'critical', source: 'ticketd' } } }, at });
    const metrics = createMetrics({ db, clock: { now: () => new Date(at.getTime() + 30_000) }, processMetrics: false });
    const text = await metrics.render();
    expect(sample(text, 'ticketd_messages_total{outcome="ticket"}')).toBe(1);
    expect(sample(text, 'ticketd_messages_total{outcome="quarantined"}')).toBe(3);
    expect(sample(text, 'ticketd_quarantined_messages{reason="flood-guard"}')).toBe(2);
    expect(sample(text, 'ticketd_quarantined_messages{reason="other"}')).toBe(1);
    expect(sample(text, 'ticketd_outbox_pending')).toBe(1);
    expect(sample(text, 'ticketd_outbox_dead_letters')).toBe(0);
    expect(await metrics.oldestPendingAgeSeconds()).toBe(30);
  });
});
