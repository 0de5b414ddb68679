import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { LocalStack } from '../src/devservers/local-stack.js';
import type { Built } from './built.js';
import { plainMail, prng } from './mails.js';
import { median } from './stats.js';

export type ScaleResult = {
  sizes: number[];
  seedSeconds: Record<number, number>;
  dbMegabytes: Record<number, number>;
  /** Per size, per timed batch: milliseconds per ingested message. */
  msPerMessage: Record<number, number[]>;
  /** Per size, outcomes over all timed batches (replies show the threading lookups found their tickets). */
  outcomes: Record<number, Record<string, number>>;
  batch: number;
  load: number;
};

const DAY = 86_400_000;

/**
 * Fills a freshly migrated database with `messages` stored inbound messages, the way the daemon would have
 * left them: tickets of two customer messages each (the opening mail and one follow-up) plus our
 * confirmation, the inbound_messages rows, and both delivered effects (email and page) in the outbox.
 * Plain prepared statements in large transactions: this is set-up, not the measured part.
 */
function seed(dbPath: string, messages: number): void {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertTicket = db.prepare(
    `insert into tickets (id, ref, subject, severity, priority, status, requester_email, requester_name, created_at, updated_at) values (?, ?, ?, 'SEV3', 'Normal', 'open', ?, 'Seeded Customer', ?, ?)`,
  );
  const insertInbound = db.prepare(
    `insert into inbound_messages (id, source, uid_validity, uid, raw_sha256, size, message_id, from_address, subject, outcome, reason, ticket_id, received_at) values (?, 'INBOX', '1', ?, ?, 2400, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertMessage = db.prepare(
    `insert into ticket_messages (ticket_id, direction, message_id, in_reply_to, references_json, from_address, to_json, subject, body_text, inbound_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertOutbox = db.prepare(
    `insert into outbox (kind, effect_key, ticket_id, payload_json, status, attempts, next_attempt_at, created_at, sent_at) values (?, ?, ?, ?, 'sent', 1, ?, ?, ?)`,
  );
  const body = 'Our nightly export stopped with a timeout while writing to the storage volume. '.repeat(4);
  const payload = JSON.stringify({ kind: 'email', mail: { subject: 'x'.repeat(60), text: body } });
  const tickets = Math.ceil(messages / 2);
  const base = Date.now() - tickets * 60_000 - DAY;
  const sha = (n: number) => n.toString(16).padStart(64, '0');
  const fill = db.transaction((from: number, to: number) => {
    for (let t = from; t <= to; t += 1) {
      const at = base + t * 60_000;
      const customer = `customer${t % 5000}@acme.test`;
      const subject = `Seeded ticket ${t}: export job fails`;
      const opening = `seed-${t}@mail.acme.test`;
      const confirmation = `cs-${t}.seed@cloudsoft.test`;
      const followUp = `seed-${t}-re@mail.acme.test`;
      const first = 2 * t - 1;
      insertTicket.run(t, `CS-${t}`, subject, customer, at, at + 120_000);
      insertInbound.run(first, first, sha(first), opening, customer, subject, 'ticket', 'new ticket', t, at);
      insertMessage.run(t, 'inbound', opening, null, '[]', customer, '["help@cloudsoft.test"]', subject, body, first, at);
      insertMessage.run(t, 'outbound', confirmation, opening, JSON.stringify([opening]), 'help@cloudsoft.test', JSON.stringify([customer]), `[CS-${t}] ${subject}`, body, null, at);
      insertOutbox.run('email', `confirmation:${first}`, t, payload, at, at, at);
      insertOutbox.run('page', `page:CS-${t}:trigger:SEV3`, t, payload, at, at, at);
      if (2 * t <= messages) {
        insertInbound.run(2 * t, 2 * t, sha(2 * t), followUp, customer, `Re: [CS-${t}] ${subject}`, 'reply', 'thread', t, at + 120_000);
        insertMessage.run(t, 'inbound', followUp, confirmation, JSON.stringify([opening, confirmation]), customer, '["help@cloudsoft.test"]', `Re: [CS-${t}] ${subject}`, body, 2 * t, at + 120_000);
      }
    }
  });
  for (let from = 1; from <= tickets; from += 50_000) fill(from, Math.min(tickets, from + 49_999));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** 70% new tickets, 20% replies to a seeded confirmation (threading by In-Reply-To), 10% by [CS-n] in the subject. */
function batchMails({ size, batch, count, seededTickets }: { size: number; batch: string; count: number; seededTickets: number }): Buffer[] {
  const next = prng(size + batch.length * 7919 + Number(batch.replace(/\D/g, '') || 0));
  return Array.from({ length: count }, (_, n) => {
    const messageId = `scale-${size}-${batch}-${n}@mail.acme.test`;
    const kind = next();
    const t = 1 + Math.floor(next() * seededTickets);
    const customer = `customer${t % 5000}@acme.test`;
    if (kind < 0.7) {
      return plainMail({ from: `new${n}@acme.test`, subject: `SEV3 new problem ${batch}-${n}`, messageId, body: 'The export job fails with a timeout again. '.repeat(8) });
    }
    if (kind < 0.9) {
      return plainMail({
        from: customer,
        subject: `Re: [CS-${t}] Seeded ticket ${t}: export job fails`,
        messageId,
        body: 'Still failing this morning.\r\n\r\n> quoted confirmation',
        inReplyTo: `cs-${t}.seed@cloudsoft.test`,
        references: [`seed-${t}@mail.acme.test`, `cs-${t}.seed@cloudsoft.test`],
      });
    }
    return plainMail({ from: customer, subject: `[CS-${t}] one more detail`, messageId, body: 'One more detail: it happens at 02:00 only.' });
  });
}

/**
 * Per-message ingest cost on a database already holding few vs very many messages. The intake is the one the
 * daemon builds (`buildServices`), called in-process with each raw mail, so nothing but the intake is timed:
 * raw store write, parse, threading and duplicate lookups, the write transaction. Batches alternate between
 * the sizes so load on the machine hits both alike.
 */
export async function runScale(built: Built, stack: LocalStack, { sizes, runs, batch, log }: { sizes: number[]; runs: number; batch: number; log: (line: string) => void }): Promise<ScaleResult> {
  const services = new Map<number, Awaited<ReturnType<Built['buildServices']>>>();
  const result: ScaleResult = { sizes, seedSeconds: {}, dbMegabytes: {}, msPerMessage: {}, outcomes: {}, batch, load: Number.NaN };
  try {
    for (const size of sizes) {
      const dir = path.join(stack.dir, `scale-${size}`);
      mkdirSync(dir, { recursive: true });
      const dbPath = path.join(dir, 'ticketd.sqlite');
      const checked = built.validateConfig(stack.config({ database: { path: dbPath }, limits: { autoRepliesPerHour: 1_000_000, newTicketsPerHour: 1_000_000 }, log: { level: 'warn' } }));
      if (!checked.ok) throw new Error(`bench config invalid: ${JSON.stringify(checked.problems)}`);
      await built.closeDatabase(built.openDatabase({ path: dbPath }));
      const started = performance.now();
      seed(dbPath, size);
      result.seedSeconds[size] = (performance.now() - started) / 1000;
      const probe = new Database(dbPath, { readonly: true });
      result.dbMegabytes[size] = ((probe.pragma('page_count', { simple: true }) as number) * (probe.pragma('page_size', { simple: true }) as number)) / 1048576;
      probe.close();
      log(`scale: seeded ${size} messages in ${result.seedSeconds[size]?.toFixed(1)} s (${result.dbMegabytes[size]?.toFixed(0)} MB)`);
      services.set(size, await built.buildServices({ config: checked.config }));
      result.msPerMessage[size] = [];
      result.outcomes[size] = {};
    }

    const ingestBatch = async (size: number, label: string, count: number) => {
      const service = services.get(size);
      if (!service) throw new Error(`no services for ${size}`);
      const mails = batchMails({ size, batch: label, count, seededTickets: Math.ceil(size / 2) });
      const outcomes: Record<string, number> = {};
      const started = performance.now();
      for (const raw of mails) {
        const ingested = await service.intake.ingestRaw({ raw, source: 'bench' });
        outcomes[ingested.outcome] = (outcomes[ingested.outcome] ?? 0) + 1;
      }
      return { ms: (performance.now() - started) / count, outcomes };
    };

    // Warm-up (JIT, SQLite page cache), not counted.
    for (const size of sizes) await ingestBatch(size, 'warmup', Math.max(20, Math.floor(batch / 4)));
    for (let run = 1; run <= runs; run += 1) {
      const order = run % 2 === 1 ? sizes : [...sizes].reverse();
      const line: string[] = [];
      for (const size of order) {
        const { ms, outcomes } = await ingestBatch(size, `run${run}`, batch);
        result.msPerMessage[size]?.push(ms);
        const tally = result.outcomes[size] as Record<string, number>;
        for (const [outcome, n] of Object.entries(outcomes)) tally[outcome] = (tally[outcome] ?? 0) + n;
        line.push(`${size}: ${ms.toFixed(2)} ms/msg`);
      }
      log(`scale run ${run}: ${line.join(', ')}`);
    }
    result.load = os.loadavg()[0] ?? Number.NaN;
    const [small, large] = [sizes[0] as number, sizes[sizes.length - 1] as number];
    log(`scale: median ratio ${(median(result.msPerMessage[large] ?? []) / median(result.msPerMessage[small] ?? [])).toFixed(2)} (${large} vs ${small})`);
    return result;
  } finally {
    for (const service of services.values()) await service.close();
  }
}
