import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServices } from '../app/start.js';
import { configSchema } from '../config/config.schema.js';
import { createLogger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { mutate, seededRandom } from './mutations.js';

export type FuzzReport = {
  mails: number;
  seed: number;
  /** Ingests that threw instead of recording an outcome. */
  crashes: number;
  /**
   * Mails whose recorded outcome cannot be found, plus rows beyond one per distinct input (the same bytes twice
   * are one record, issue 19, so a mutation that changed nothing adds no row).
   */
  missingOutcomes: number;
  slowestMs: number;
  slowest: { source: string; applied: string[]; outcome: string; reason: string } | undefined;
  medianMs: number;
  ratePerSecond: number;
  outcomes: Record<string, number>;
  failures: string[];
};

/**
 * Feeds `count` mutated copies of `sources` (real mail) through the same ingest as `ticketd ingest`, with the
 * parse worker pool and a fresh database, and checks the promise: every mail exactly one recorded outcome,
 * nothing thrown. In-process, no network: confirmations and pages stay in the outbox.
 */
export async function runFuzz({
  sources,
  count,
  seed,
  messageBudgetMs = 1000,
  onProgress = () => undefined,
}: {
  sources: Array<{ name: string; raw: Buffer }>;
  count: number;
  seed: number;
  messageBudgetMs?: number;
  onProgress?: (done: number) => void;
}): Promise<FuzzReport> {
  if (sources.length === 0) throw new Error('no mail to mutate');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-fuzz-'));
  const config = configSchema.parse({
    database: { path: path.join(dir, 'fuzz.sqlite') },
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test', 'example.com', 'example.jp', 'gmail.com'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
    security: { senderAuth: 'off' },
    limits: { messageBudgetMs, newTicketsPerHour: 1_000_000, autoRepliesPerHour: 1_000_000 },
    log: { level: 'silent' },
  });
  const services = await buildServices({ config, logger: createLogger({ level: 'silent' }) });
  const random = seededRandom(seed);
  const times: number[] = [];
  const failures: string[] = [];
  const distinct = new Set<string>();
  const answered: number[] = [];
  let crashes = 0;
  let slowest: FuzzReport['slowest'];
  let slowestMs = 0;
  const started = performance.now();
  try {
    for (let index = 0; index < count; index += 1) {
      const source = random.pick(sources);
      const { raw, applied } = mutate(source.raw, random);
      distinct.add(createHash('sha256').update(raw).digest('hex'));
      const before = performance.now();
      try {
        const result = await services.intake.ingestRaw({ raw, source: 'fuzz' });
        answered.push(result.inboundId);
        const ms = performance.now() - before;
        times.push(ms);
        if (ms > slowestMs) {
          slowestMs = ms;
          slowest = { source: source.name, applied, outcome: result.outcome, reason: result.reason.slice(0, 160) };
        }
      } catch (error) {
        crashes += 1;
        if (failures.length < 20) failures.push(`#${index} ${source.name} [${applied.join(', ')}]: ${describeError(error)}`);
      }
      onProgress(index + 1);
    }
    const elapsed = (performance.now() - started) / 1000;
    const rows = services.db.$client.prepare('select outcome, count(*) as count from inbound_messages group by outcome').all() as Array<{ outcome: string; count: number }>;
    const recorded = rows.reduce((sum, row) => sum + row.count, 0);
    const exists = services.db.$client.prepare('select 1 from inbound_messages where id = ?');
    const unrecorded = answered.filter((id) => exists.get(id) === undefined).length;
    times.sort((a, b) => a - b);
    return {
      mails: count,
      seed,
      crashes,
      missingOutcomes: unrecorded + crashes + Math.abs(distinct.size - recorded),
      slowestMs: Math.round(slowestMs),
      slowest,
      medianMs: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
      ratePerSecond: Math.round((count / elapsed) * 10) / 10,
      outcomes: Object.fromEntries(rows.map((row) => [row.outcome, row.count])),
      failures,
    };
  } finally {
    await services.parser.close();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
