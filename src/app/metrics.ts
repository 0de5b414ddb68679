import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../shared/clock.js';
import { eq, min, sql } from 'drizzle-orm';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { outbox } from '../modules/outbox/outbox.tables.js';
import { tickets } from '../modules/tickets/tickets.tables.js';
import type { Db } from '../shared/db.js';
import { rawNumber } from '../shared/db-results.js';

export type DeliveryAttempt = { kind: 'email' | 'page' | 'webhook'; result: 'sent' | 'retry' | 'failed'; createdAt: Date; at: Date };
export type ImapStatus = { connected: boolean; reconnects: number };

/**
 * ticketd's Prometheus metrics on a registry of its own (never prom-client's global one, so tests and
 * several daemons in one process do not share counters). What is durable (messages, tickets, the outbox) is
 * read from the database on each scrape, so it is right across restarts and counts `ticketd ingest` runs too; what
 * happens only in this process (delivery attempts, IMAP reconnects, paging latency) is counted here.
 */
export function createMetrics({ db, clock = systemClock, registry = new Registry(), processMetrics = true }: { db: Db; clock?: Clock; registry?: Registry; processMetrics?: boolean }) {
  let imapStatus: () => ImapStatus | undefined = () => undefined;
  const t = db.tables({ inboundMessages, tickets, outbox });
  const countOf = sql<unknown>`count(*)`;
  // The first word of a reason (before its colon): SQLite spells the position `instr`, PostgreSQL `strpos`.
  const position = db.dialect === 'sqlite' ? sql`instr(${t.inboundMessages.reason}, ':')` : sql`strpos(${t.inboundMessages.reason}, ':')`;
  const kind = sql<string>`case when ${position} > 0 then substr(${t.inboundMessages.reason}, 1, ${position} - 1) else ${t.inboundMessages.reason} end`;
  const outcomes = async () => (await db.select({ outcome: t.inboundMessages.outcome, count: countOf }).from(t.inboundMessages).groupBy(t.inboundMessages.outcome)).map((row) => ({ ...row, count: rawNumber(row.count) }));
  const severities = async () => (await db.select({ severity: t.tickets.severity, count: countOf }).from(t.tickets).groupBy(t.tickets.severity)).map((row) => ({ ...row, count: rawNumber(row.count) }));
  const quarantined = async () =>
    (await db.select({ kind, count: countOf }).from(t.inboundMessages).where(eq(t.inboundMessages.outcome, 'quarantined')).groupBy(kind)).map((row) => ({ kind: String(row.kind), count: rawNumber(row.count) }));
  const pending = async () => {
    const [row] = await db.select({ count: countOf, oldest: min(t.outbox.createdAt) }).from(t.outbox).where(eq(t.outbox.status, 'pending'));
    return { count: rawNumber(row?.count ?? 0), oldest: row?.oldest ?? null };
  };
  const failed = async () => rawNumber((await db.select({ count: countOf }).from(t.outbox).where(eq(t.outbox.status, 'failed')))[0]?.count ?? 0);

  new Counter({
    name: 'ticketd_messages_total',
    help: 'Inbound messages by recorded outcome (ticket, reply, bounce, auto-reply, quarantined, duplicate); from the database. A reprocessed message moves to its new outcome.',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await outcomes()) this.inc({ outcome: row.outcome }, row.count);
    },
  });
  new Gauge({
    name: 'ticketd_quarantined_messages',
    help: 'Quarantined messages by the first word of their reason (flood-guard, over-budget, malformed-headers, sender-not-authenticated, ...); from the database. A rising flood-guard is a flood as it happens.',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      this.reset();
      // Reasons start with one of our own words; anything else is counted as `other`, never used as a label.
      for (const row of await quarantined()) this.inc({ reason: /^[a-z][a-z-]{0,39}$/.test(row.kind) ? row.kind : 'other' }, row.count);
    },
  });
  new Counter({
    name: 'ticketd_tickets_total',
    help: 'Tickets created, by severity; from the database.',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await severities()) this.inc({ severity: row.severity }, row.count);
    },
  });
  new Gauge({
    name: 'ticketd_outbox_pending',
    help: 'Deliveries (confirmations, pages) waiting to be sent or retried.',
    registers: [registry],
    async collect() {
      this.set((await pending()).count);
    },
  });
  new Gauge({
    name: 'ticketd_outbox_dead_letters',
    help: 'Deliveries that failed permanently (see `ticketd outbox list --status failed`).',
    registers: [registry],
    async collect() {
      this.set(await failed());
    },
  });
  new Gauge({
    name: 'ticketd_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery; 0 when the outbox is empty.',
    registers: [registry],
    async collect() {
      this.set(await oldestPendingAgeSeconds());
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

  async function oldestPendingAgeSeconds(): Promise<number> {
    const { oldest } = await pending();
    return oldest === null ? 0 : Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000);
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
