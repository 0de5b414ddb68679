/**
 * `npm run bench`: latency, backlog throughput, memory and scale of the built daemon on a loopback stack
 * (Dovecot, SMTP peer, HTTP receiver), written to BENCHMARKS.md. Not part of `npm test`.
 *
 *   --quick            small sizes, prints the table, does not write BENCHMARKS.md (unless --write)
 *   --no-write         print the table only
 *   --runs=N           override the number of runs of every part (for profiling or a quick look)
 *   --only=a,b         latency, lmtp, backlog, first, memory, scale
 *   --cpu-prof=DIR     take a CPU profile of the daemon during the last backlog run
 *   --no-postgres      skip the backlog runs on PostgreSQL
 *
 * BENCH_NODE_ARGS="--flag ..." adds node flags after the ones bin/ticketd.js ships, to try a runtime setting
 * (with --no-write: the written figures are for the settings as shipped).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBacklog, fillFolder } from './backlog.js';
import { runBreakdown } from './breakdown.js';
import { fillManySmall, runFirstOutcome } from './first-outcome.js';
import { shippedLaunch } from '../src/shared/launch.js';
import { CORPUS_DIR, loadBuilt, PROJECT_ROOT, TICKETD_BIN } from './built.js';
import { runLatency } from './latency.js';
import { runLmtpLatency } from './lmtp.js';
import { generatedCustomerMails, readCorpus } from './mails.js';
import { runMemory } from './memory.js';
import { renderResults, writeBenchmarks, type Results } from './report.js';
import { runScale } from './scale.js';
import { median } from './stats.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag('quick');
const only = new Set((option('only') ?? 'latency,lmtp,backlog,first,memory,scale').split(','));
const cpuProfileDir = option('cpu-prof');

const SIZES = quick
  ? { latency: { runs: 1, count: 20, ratePerSecond: 10, isolated: 3 }, lmtp: { runs: 1, count: 20, ratePerSecond: 10, isolated: 3, viaPostfix: 2 }, backlog: { runs: 1, corpus: 100, total: 200 }, first: { runs: 1, waiting: 5_000 }, memory: { runs: 1, bytes: 5 * 1048576 }, scale: { runs: 2, sizes: [1_000, 20_000], batch: 50 } }
  : { latency: { runs: 3, count: 200, ratePerSecond: 5, isolated: 8 }, lmtp: { runs: 3, count: 200, ratePerSecond: 5, isolated: 8, viaPostfix: 8 }, backlog: { runs: 3, corpus: Infinity, total: 2_000 }, first: { runs: 3, waiting: 100_000 }, memory: { runs: 3, bytes: 50 * 1048576 }, scale: { runs: 5, sizes: [1_000, 1_000_000], batch: 200 } };

const runsOverride = Number(option('runs'));
if (runsOverride > 0) for (const part of Object.values(SIZES)) part.runs = runsOverride;

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const began = performance.now();
  const built = await loadBuilt();
  const loads: Results['env']['loads'] = [];
  const section = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const before = os.loadavg();
    log(`${name}: start (load ${before.map((value) => value.toFixed(2)).join(' ')})`);
    const result = await work();
    loads.push({ section: name, before, after: os.loadavg() });
    return result;
  };
  const results: Partial<Results> = {};
  const stack = await built.startLocalStack();
  try {
    if (only.has('latency')) {
      const { runs, count, ratePerSecond, isolated } = SIZES.latency;
      results.latency = { count, ratePerSecond, runs: await section('latency', () => runLatency(built, stack, { runs, count, ratePerSecond, isolated, log })) };
    }
    if (only.has('lmtp')) {
      const { runs, count, ratePerSecond, isolated, viaPostfix } = SIZES.lmtp;
      results.lmtp = { count, ratePerSecond, runs: await section('lmtp', () => runLmtpLatency(built, stack, { runs, count, ratePerSecond, isolated, viaPostfix, log })) };
    }
    if (only.has('backlog')) {
      const { runs, corpus: corpusLimit, total } = SIZES.backlog;
      // The shared corpus sits beside the project; without it the backlog is generated mail only.
      const corpus = existsSync(CORPUS_DIR) ? readCorpus(CORPUS_DIR) : [];
      if (corpus.length === 0) log(`backlog: no corpus at ${CORPUS_DIR}; generated mail only`);
      // An even spread over the corpus folders when only part of it is used.
      const step = Math.max(1, corpus.length / Math.max(1, Math.min(corpusLimit, corpus.length)));
      const picked = corpus.filter((_, index) => Math.floor(index % step) === 0).slice(0, Math.min(corpusLimit, total));
      const generated = generatedCustomerMails({ count: total - picked.length, seed: 8, tag: `backlog-${Date.now().toString(36)}` });
      const raws = [...picked.map((mail) => mail.raw), ...generated.map((mail) => mail.raw)];
      const filled = await fillFolder(built, stack, 'Backlog', raws);
      const sizes = raws.map((raw) => raw.length);
      log(`backlog: ${filled.appended} mails APPENDed in ${filled.seconds.toFixed(1)} s (${filled.refused} refused)`);
      const mix = { corpus: picked.length, generated: generated.length, refused: filled.refused, totalBytes: sizes.reduce((a, b) => a + b, 0), medianBytes: median(sizes), maxBytes: Math.max(...sizes) };
      // The same backlog on PostgreSQL too (issue 18), on a throwaway local server, unless --no-postgres.
      const postgres = flag('no-postgres') ? undefined : await built.startPostgres();
      const backlogRuns = await section('backlog', () =>
        runBacklog(built, stack, filled.appended, {
          runs,
          folder: 'Backlog',
          log,
          ...(cpuProfileDir ? { cpuProfileDir: path.resolve(cpuProfileDir) } : {}),
          ...(postgres ? { createPostgresDatabase: (name: string) => postgres.createDatabase(name) } : {}),
        }),
      ).finally(() => postgres?.destroy());
      const breakdown = await section('breakdown', () => runBreakdown(built, stack, { folder: 'Backlog' }));
      log(`breakdown: ${JSON.stringify(breakdown)}`);
      results.backlog = { mix, runs: backlogRuns, breakdown };
    }
    if (only.has('first')) {
      const { runs, waiting } = SIZES.first;
      const seconds = await fillManySmall(built, stack, 'Waiting', waiting);
      log(`first outcome: ${waiting} mails written into the folder's maildir in ${seconds.toFixed(1)} s`);
      results.first = { waiting, runs: await section('first', () => runFirstOutcome(stack, { runs, folder: 'Waiting', log })) };
    }
    if (only.has('memory')) {
      const { runs, bytes } = SIZES.memory;
      const memory = await section('memory', () => runMemory(built, stack, { runs, attachmentBytes: bytes, log }));
      results.memory = { rawBytes: memory.rawBytes, attachmentBytes: bytes, runs: memory.runs };
    }
    if (only.has('scale')) {
      results.scale = await section('scale', () => runScale(built, stack, { ...SIZES.scale, log }));
    }
  } finally {
    await stack.close();
  }
  const cpus = os.cpus();
  const complete: Results = {
    ...results,
    env: {
      date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
      cpus: `${cpus[0]?.model ?? 'unknown'}`.trim(),
      cores: cpus.length,
      memoryGb: os.totalmem() / 1024 ** 3,
      node: process.version,
      kernel: os.release(),
      launch: shippedLaunch(TICKETD_BIN),
      loads,
      quick,
      totalSeconds: (performance.now() - began) / 1000,
    },
  };
  const markdown = renderResults(complete);
  console.log(`\n${markdown}\n`);
  if ((!quick || flag('write')) && !flag('no-write')) {
    const file = path.join(PROJECT_ROOT, 'BENCHMARKS.md');
    writeBenchmarks(file, markdown);
    log(`wrote ${file}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
