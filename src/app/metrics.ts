import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Db } from '../shared/db.js';

export type DeliveryAttempt = { kind: 'email' | 'page' | 'webhook'; result: 'sent' | 'retry' | 'failed'; createdAt: Date; at: Date };
export type ImapStatus = { connected: boolean; reconnects: number };

/**
 * ticketd's Prometheus metrics on a registry of its own (never prom-client's global one, so tests and
 * several daemons in one process do not share counters). What is durable (messages, tickets, the outbox) is
 * read from SQLite on each scrape, so it is right across restarts and counts `ticketd ingest` runs too; what
 * happens only in this process (delivery attempts, IMAP reconnects, paging latency) is counted here.
 */
export function createMetrics({ db, clock = systemClock, registry = new Registry(), processMetrics = true }: { db: Db; clock?: Clock; registry?: Registry; processMetrics?: boolean }) {
  let imapStatus: () => ImapStatus | undefined = () => undefined;
  const sqlite = db.$client;
  const outcomes = sqlite.prepare('select outcome, count(*) as count from inbound_messages group by outcome');
  const severities = sqlite.prepare('select severity, count(*) as count from tickets group by severity');
  const quarantined = sqlite.prepare(
    "select case when instr(reason, ':') > 0 then substr(reason, 1, instr(reason, ':') - 1) else reason end as kind, count(*) as count from inbound_messages where outcome = 'quarantined' group by kind",
  );
  const pending = sqlite.prepare("select count(*) as count, min(created_at) as oldest from outbox where status = 'pending'");
  const failed = sqlite.prepare("select count(*) as count from outbox where status = 'failed'");

  new Counter({
    name: 'ticketd_messages_total',
    help: 'Inbound messages by recorded outcome (ticket, reply, bounce, auto-reply, quarantined, duplicate); from the database. A reprocessed message moves to its new outcome.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of outcomes.all() as Array<{ outcome: string; count: number }>) this.inc({ outcome: row.outcome }, row.count);
    },
  });
  new Gauge({
    name: 'ticketd_quarantined_messages',
    help: 'Quarantined messages by the first word of their reason (flood-guard, over-budget, malformed-headers, sender-not-authenticated, ...); from the database. A rising flood-guard is a flood as it happens.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      // Reasons start with one of our own words; anything else is counted as `other`, never used as a label.
      for (const row of quarantined.all() as Array<{ kind: string; count: number }>) this.inc({ reason: /^[a-z][a-z-]{0,39}$/.test(row.kind) ? row.kind : 'other' }, row.count);
    },
  });
  new Counter({
    name: 'ticketd_tickets_total',
    help: 'Tickets created, by severity; from the database.',
    labelNames: ['severity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of severities.all() as Array<{ severity: string; count: number }>) this.inc({ severity: row.severity }, row.count);
    },
  });
  new Gauge({
    name: 'ticketd_outbox_pending',
    help: 'Deliveries (confirmations, pages) waiting to be sent or retried.',
    registers: [registry],
    collect() {
      this.set((pending.get() as { count: number }).count);
    },
  });
  new Gauge({
    name: 'ticketd_outbox_dead_letters',
    help: 'Deliveries that failed permanently (see `ticketd outbox list --status failed`).',
    registers: [registry],
    collect() {
      this.set((failed.get() as { count: number }).count);
    },
  });
  new Gauge({
    name: 'ticketd_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery; 0 when the outbox is empty.',
    registers: [registry],
    collect() {
      this.set(oldestPendingAgeSeconds());
    },
  });
  new Counter({
    name: 'ticketd_imap_reconnects_total',
    help: 'IMAP connections lost or refused since the daemon started.',
    registers: [registry],
    collect() {
      const status = imapStatus();
      this.reset();
      if (status) this.inc(status.reconnects);
    },
  });
  new Gauge({
    name: 'ticketd_imap_connected',
    help: '1 while the IMAP connection is up.',
    registers: [registry],
    collect() {
      this.set(imapStatus()?.connected ? 1 : 0);
    },
  });
  const attempts = new Counter({
    name: 'ticketd_delivery_attempts_total',
    help: 'Delivery attempts by kind (email, page) and result (sent, retry, failed).',
    labelNames: ['kind', 'result'],
    registers: [registry],
  });
  const ingestToPage = new Histogram({
    name: 'ticketd_ingest_to_page_seconds',
    help: 'From the ticket being stored (the mail ingested) to its page accepted by the pager.',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'ticketd_' });

  function oldestPendingAgeSeconds(): number {
    const { oldest } = pending.get() as { oldest: number | null };
    return oldest === null ? 0 : Math.max(0, (clock.now().getTime() - oldest) / 1000);
  }

  /** Called by the outbox worker after every attempt. A page's outbox row is written with its ticket. */
  function recordDeliveryAttempt({ kind, result, createdAt, at }: DeliveryAttempt): void {
    attempts.inc({ kind, result });
    if (kind === 'page' && result === 'sent') ingestToPage.observe(Math.max(0, (at.getTime() - createdAt.getTime()) / 1000));
  }

  return {
    registry,
    recordDeliveryAttempt,
    oldestPendingAgeSeconds,
    /** The daemon hands in its IMAP watcher's status once it exists. */
    watchImap(status: () => ImapStatus) {
      imapStatus = status;
    },
    contentType: registry.contentType as string,
    render: () => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
