import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BacklogMix, BacklogRun } from './backlog.js';
import type { FirstOutcomeRun } from './first-outcome.js';
import type { Breakdown } from './breakdown.js';
import type { InDaemon } from './in-daemon.js';
import type { LatencyRun } from './latency.js';
import type { LmtpRun } from './lmtp.js';
import type { MemoryRun } from './memory.js';
import type { ScaleResult } from './scale.js';
import { median, percentile, spread, type Spread } from './stats.js';

export type Environment = { date: string; cpus: string; cores: number; memoryGb: number; node: string; kernel: string; launch: { env: Record<string, string>; nodeArgs: string[] }; loads: Array<{ section: string; before: number[]; after: number[] }>; quick: boolean; totalSeconds: number };

export type Results = {
  env: Environment;
  latency?: { count: number; ratePerSecond: number; runs: LatencyRun[] };
  lmtp?: { count: number; ratePerSecond: number; runs: LmtpRun[] };
  backlog?: { mix: BacklogMix; runs: BacklogRun[]; breakdown?: Breakdown };
  memory?: { rawBytes: number; attachmentBytes: number; runs: MemoryRun[] };
  first?: { waiting: number; runs: FirstOutcomeRun[] };
  scale?: ScaleResult;
};

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

type Row = { figure: string; target: string; stats: Spread; digits?: number; unit: string; met?: boolean };

function row({ figure, target, stats, digits = 0, unit, met }: Row): string {
  const verdict = met === undefined ? '' : met ? 'yes' : '**no**';
  return `| ${figure} | ${target} | **${fmt(stats.median, digits)}** ${unit} | ${fmt(stats.min, digits)} | ${fmt(stats.max, digits)} | ${stats.runs} | ${verdict} |`;
}

export function renderResults(results: Results): string {
  const { env } = results;
  const rows: string[] = [];
  const notes: string[] = [];
  if (results.latency) {
    const runs = results.latency.runs;
    const page = (p: number) => spread(runs.map((run) => percentile(run.pageMs, p)));
    const confirmation = (p: number) => spread(runs.map((run) => percentile(run.confirmationMs, p)));
    const p50 = page(50);
    const p99 = page(99);
    rows.push(row({ figure: 'APPEND to page received, p50', target: '< 200 ms', stats: p50, unit: 'ms', met: p50.median < 200 }));
    rows.push(row({ figure: 'APPEND to page received, p95', target: '', stats: page(95), unit: 'ms' }));
    rows.push(row({ figure: 'APPEND to page received, p99', target: '< 1000 ms', stats: p99, unit: 'ms', met: p99.median < 1000 }));
    rows.push(row({ figure: 'APPEND to confirmation received, p50', target: '', stats: confirmation(50), unit: 'ms' }));
    rows.push(row({ figure: 'APPEND to confirmation received, p95', target: '', stats: confirmation(95), unit: 'ms' }));
    rows.push(row({ figure: 'APPEND to confirmation received, p99', target: '', stats: confirmation(99), unit: 'ms' }));
    const of = (pick: (run: LatencyRun) => number[], p: number) => spread(runs.map((run) => percentile(pick(run), p)));
    rows.push(row({ figure: '... APPEND to stored with effects queued (daemon log), p50', target: '', stats: of((run) => run.storedMs, 50), unit: 'ms' }));
    rows.push(row({ figure: '... APPEND to stored with effects queued (daemon log), p99', target: '', stats: of((run) => run.storedMs, 99), unit: 'ms' }));
    rows.push(row({ figure: '... stored to page received (outbox), p50', target: '', stats: of((run) => run.storedToPageMs, 50), unit: 'ms' }));
    rows.push(row({ figure: '... stored to page received (outbox), p99', target: '', stats: of((run) => run.storedToPageMs, 99), unit: 'ms' }));
    rows.push(row({ figure: "... APPEND to EXISTS at a bare IDLE client (Dovecot's notification), p50", target: '', stats: of((run) => run.existsMs, 50), unit: 'ms' }));
    rows.push(row({ figure: "... APPEND to EXISTS at a bare IDLE client (Dovecot's notification), p99", target: '', stats: of((run) => run.existsMs, 99), unit: 'ms' }));
    rows.push(row({ figure: `Isolated mails (${runs[0]?.isolatedPageMs.length} per run, 1.2 s apart): APPEND to page, p50`, target: '', stats: of((run) => run.isolatedPageMs, 50), unit: 'ms' }));
    rows.push(row({ figure: '... APPEND to stored, p50', target: '', stats: of((run) => run.isolatedStoredMs, 50), unit: 'ms' }));
    rows.push(...inDaemonRows('EXISTS heard', runs.map((run) => ({ isolated: run.isolatedInDaemon, steady: run.inDaemon }))));
    const pooled = runs.flatMap((run) => run.pageMs);
    notes.push(
      `Latency: ${results.latency.count} mails per run APPENDed at ${results.latency.ratePerSecond}/s to a folder the daemon watches with IDLE ` +
        `(safety-net poll every 30 s, outbox poll 5 s: the production defaults). All ${pooled.length} pages of all runs pooled: p50 ${percentile(pooled, 50)} ms, ` +
        `p99 ${percentile(pooled, 99)} ms, max ${Math.max(...pooled)} ms. The APPEND itself took p50 ${median(runs.map((run) => percentile(run.appendMs, 50)))} ms. ` +
        `Daemon peak RSS over a latency run: ${fmt(median(runs.map((run) => run.peakRssMb)))} MB. ` +
        `Isolated mails paged more than 5 s after their APPEND (IDLE did not bring them, the safety-net poll did): ${runs.map((run) => run.isolatedSlow).join(', ')} per run.`,
    );
  }
  if (results.lmtp) {
    const runs = results.lmtp.runs;
    const of = (pick: (run: LmtpRun) => number[], p: number) => spread(runs.map((run) => percentile(pick(run), p)));
    const p50 = of((run) => run.pageMs, 50);
    const p99 = of((run) => run.pageMs, 99);
    rows.push(row({ figure: 'LMTP delivery started to page received, p50', target: '< 100 ms', stats: p50, unit: 'ms', met: p50.median < 100 }));
    rows.push(row({ figure: 'LMTP delivery started to page received, p95', target: '', stats: of((run) => run.pageMs, 95), unit: 'ms' }));
    rows.push(row({ figure: 'LMTP delivery started to page received, p99', target: '< 300 ms', stats: p99, unit: 'ms', met: p99.median < 300 }));
    rows.push(row({ figure: 'LMTP delivery started to confirmation received, p50', target: '', stats: of((run) => run.confirmationMs, 50), unit: 'ms' }));
    rows.push(row({ figure: 'LMTP delivery started to confirmation received, p99', target: '', stats: of((run) => run.confirmationMs, 99), unit: 'ms' }));
    rows.push(row({ figure: '... LMTP delivery started to 250 (outcome committed), p50', target: '', stats: of((run) => run.ackMs, 50), unit: 'ms' }));
    rows.push(row({ figure: '... LMTP delivery started to 250 (outcome committed), p99', target: '', stats: of((run) => run.ackMs, 99), unit: 'ms' }));
    rows.push(row({ figure: `Isolated LMTP mails (${runs[0]?.isolatedPageMs.length} per run): delivery started to page, p50`, target: '', stats: of((run) => run.isolatedPageMs, 50), unit: 'ms' }));
    rows.push(row({ figure: '... delivery started to 250, p50', target: '', stats: of((run) => run.isolatedAckMs, 50), unit: 'ms' }));
    rows.push(...inDaemonRows('LMTP DATA began', runs.map((run) => ({ isolated: run.isolatedInDaemon, steady: run.inDaemon }))));
    if (runs.some((run) => run.viaPostfixPageMs.length > 0)) {
      rows.push(row({ figure: `Through Postfix (${runs[0]?.viaPostfixPageMs.length} per run, isolated): SMTP 250 queued to page, p50`, target: '', stats: of((run) => run.viaPostfixPageMs, 50), unit: 'ms' }));
    }
    const pooled = runs.flatMap((run) => run.pageMs);
    notes.push(
      `LMTP: ${results.lmtp.count} mails per run delivered at ${results.lmtp.ratePerSecond}/s by the bench acting as the MTA (nodemailer's LMTP client, one connection per message) ` +
        `to \`ticketd run\` with \`lmtp.port\` set and no imap section; outbox poll 5 s, so the page leaves on the nudge after the commit. The clock starts before the client connects ` +
        `and stops when the HTTP receiver has the page (the SMTP peer the confirmation). All ${pooled.length} pages pooled: p50 ${percentile(pooled, 50)} ms, p99 ${percentile(pooled, 99)} ms, ` +
        `max ${Math.max(...pooled)} ms. Isolated mails go one at a time, 300 ms after the previous page. "Through Postfix" (only where Postfix can run, i.e. as root) submits to a ` +
        `throwaway Postfix on loopback that delivers with \`lmtp:inet:\`, clock from Postfix's SMTP 250 to the page: Postfix's queue manager included. ` +
        `Daemon peak RSS over an LMTP run: ${fmt(median(runs.map((run) => run.peakRssMb)))} MB. The IMAP IDLE rows above come from the same bench run.`,
    );
  }
  if (results.backlog) {
    const { runs, mix } = results.backlog;
    const ingest = spread(runs.map((run) => run.ingestPerSecond));
    const toParse = spread(runs.map((run) => run.ingestPerSecond / run.parsePerSecond));
    const peak = spread(runs.map((run) => run.peakRssMb));
    rows.push(row({ figure: `Backlog ingest (${runs[0]?.messages} mails), stored with effects queued`, target: '', stats: ingest, unit: 'msg/s' }));
    rows.push(row({ figure: 'Bare imapflow fetch, same mails, one connection', target: '', stats: spread(runs.map((run) => run.fetchPerSecond)), unit: 'msg/s' }));
    rows.push(row({ figure: 'Bare mailparser `simpleParser`, same mails, one thread', target: '', stats: spread(runs.map((run) => run.parsePerSecond)), unit: 'msg/s' }));
    rows.push(row({ figure: 'Ingest / bare parse (same run)', target: '>= 1.0', stats: toParse, digits: 2, unit: 'x', met: toParse.median >= 1.0 }));
    const twoToParse = spread(runs.map((run) => run.twoWorkers.ingestPerSecond / run.parsePerSecond));
    rows.push(row({ figure: 'Backlog ingest with 2 parse workers (`limits.parseWorkers: 2`)', target: '', stats: spread(runs.map((run) => run.twoWorkers.ingestPerSecond)), unit: 'msg/s' }));
    rows.push(row({ figure: '... with 2 parse workers / bare parse (same run)', target: '>= 1.6 (stretch)', stats: twoToParse, digits: 2, unit: 'x', met: twoToParse.median >= 1.6 }));
    rows.push(row({ figure: '... peak RSS with 2 parse workers', target: '', stats: spread(runs.map((run) => run.twoWorkers.peakRssMb)), unit: 'MB' }));
    rows.push(row({ figure: 'Ingest / bare fetch (same run)', target: '', stats: spread(runs.map((run) => run.ingestPerSecond / run.fetchPerSecond)), digits: 2, unit: 'x' }));
    rows.push(row({ figure: 'Backlog ingest counted from process spawn', target: '', stats: spread(runs.map((run) => run.ingestFromSpawnPerSecond)), unit: 'msg/s' }));
    rows.push(row({ figure: 'Peak RSS while ingesting the backlog', target: '< 200 MB', stats: peak, unit: 'MB', met: peak.median < 200 }));
    const onPostgres = runs.flatMap((run) => (run.postgres ? [{ run, postgres: run.postgres }] : []));
    if (onPostgres.length > 0) {
      rows.push(row({ figure: 'Backlog ingest on PostgreSQL (same mails, 1 parse worker, local server)', target: '', stats: spread(onPostgres.map((entry) => entry.postgres.ingestPerSecond)), unit: 'msg/s' }));
      rows.push(row({ figure: '... PostgreSQL / SQLite (same run)', target: '', stats: spread(onPostgres.map((entry) => entry.postgres.ingestPerSecond / entry.run.ingestPerSecond)), digits: 2, unit: 'x' }));
      rows.push(row({ figure: '... peak RSS on PostgreSQL', target: '< 200 MB', stats: spread(onPostgres.map((entry) => entry.postgres.peakRssMb)), unit: 'MB', met: median(onPostgres.map((entry) => entry.postgres.peakRssMb)) < 200 }));
    }
    const outcomes = runs[runs.length - 1]?.outcomes ?? {};
    notes.push(
      `Backlog mix: ${mix.corpus} files of \`../shared/corpus\` and ${mix.generated} generated customer mails (plain, text+HTML, with a 10-400 KB attachment, replies); ` +
        `${mix.refused} refused by Dovecot's APPEND and left out; total ${mb(mix.totalBytes)}, median ${(mix.medianBytes / 1024).toFixed(1)} KB, largest ${mb(mix.maxBytes)}. ` +
        `Outcomes: ${Object.entries(outcomes).map(([outcome, n]) => `${n} ${outcome}`).join(', ')}; ${runs[runs.length - 1]?.queuedEffects} effects queued. ` +
        `simpleParser threw on ${runs[0]?.parseErrors ?? 0} of them (timed all the same). The ingest rate counts from the daemon's "IMAP mailbox opened" log line to the moment ` +
        `the last inbound row was visible in SQLite (polled every 20 ms); the outbox worker delivers confirmations and pages meanwhile, as in production.`,
    );
    const breakdown = results.backlog.breakdown;
    if (breakdown) {
      const stage = breakdown.perMessageMs;
      const bareParseMs = 1000 / median(runs.map((run) => run.parsePerSecond));
      notes.push(
        `Where a backlog message's time goes (one extra pass, the sync loop re-enacted in-process with the daemon's own mailbox driver, raw store and intake, ` +
          `no outbox worker, no logging; ms per message): list ${fmt(stage.list, 3)}, download (small mail fetched in batches of up to 50, big mail streamed) into the raw store ${fmt(stage.download, 2)}, ` +
          `ingest (parse from memory or, for streamed mail, the store; decide; one transaction) ${fmt(stage.ingest, 2)}, flag on the server (one command per batch) ${fmt(stage.mark, 2)}; total ${fmt(stage.total, 2)} ms = ` +
          `${fmt(1000 / stage.total)} msg/s. Alone: the daemon's streaming parse ${fmt(breakdown.parseOnlyMs, 2)} ms, reading and gunzipping the raw mail ` +
          `${fmt(breakdown.readRawMs, 2)} ms; bare simpleParser ${fmt(bareParseMs, 2)} ms.`,
      );
    }
  }
  if (results.first) {
    const { waiting, runs } = results.first;
    const opened = spread(runs.map((run) => run.openedToFirstMs));
    rows.push(row({ figure: `First outcome with ${waiting.toLocaleString('en')} mails waiting, from mailbox opened`, target: '< 1000 ms', stats: opened, unit: 'ms', met: opened.median < 1000 }));
    rows.push(row({ figure: '... from process spawn', target: '', stats: spread(runs.map((run) => run.spawnToFirstMs)), unit: 'ms' }));
    rows.push(row({ figure: '... baseline: a bare listing of every UID and size of that folder', target: '', stats: spread(runs.map((run) => run.bareFullListMs)), unit: 'ms' }));
    notes.push(
      `First outcome: ${waiting.toLocaleString('en')} small customer mails written into the folder's maildir (as a migrated mailbox arrives; Dovecot numbers them on the next open) before the daemon starts on a fresh database; the clock runs from the daemon's ` +
        `"IMAP mailbox opened" log line to the first inbound row visible in SQLite (polled every 5 ms). The daemon lists the folder 2,000 UIDs at a time; the baseline is one ` +
        `imapflow listing of the whole folder (UID and size), which a pass used to make before its first download.`,
    );
  }
  if (results.memory) {
    const peak = spread(results.memory.runs.map((run) => run.peakRssMb));
    rows.push(row({ figure: `Peak RSS ingesting one mail with a ${(results.memory.attachmentBytes / 1048576).toFixed(0)} MiB attachment`, target: '< 200 MB', stats: peak, unit: 'MB', met: peak.median < 200 }));
    rows.push(row({ figure: '... time from mailbox opened to stored', target: '', stats: spread(results.memory.runs.map((run) => run.seconds)), digits: 1, unit: 's' }));
    notes.push(
      `Memory: the message is ${mb(results.memory.rawBytes)} on the wire (base64); \`limits.maxMessageBytes\` is raised above it for this figure, since the default 50 MiB limit ` +
        `would quarantine it unparsed. Peak RSS is VmHWM from /proc/PID/status of the daemon process, read once the message is stored (its attachment whole in the store).`,
    );
  }
  if (results.scale) {
    const { sizes, msPerMessage, batch } = results.scale;
    const small = sizes[0] as number;
    const large = sizes[sizes.length - 1] as number;
    for (const size of sizes) rows.push(row({ figure: `Ingest cost per message, ${size.toLocaleString('en')} messages stored`, target: '', stats: spread(msPerMessage[size] ?? []), digits: 2, unit: 'ms' }));
    const pairs = (msPerMessage[large] ?? []).map((ms, index) => ms / ((msPerMessage[small] ?? [])[index] ?? Number.NaN));
    const ratio = spread(pairs);
    rows.push(row({ figure: `Cost ratio ${large.toLocaleString('en')} / ${small.toLocaleString('en')} (paired batches)`, target: '< 1.5', stats: ratio, digits: 2, unit: 'x', met: ratio.median < 1.5 }));
    notes.push(
      `Scale: the database is seeded directly (tickets of two customer messages and a confirmation each, inbound rows, delivered outbox rows: ` +
        `${sizes.map((size) => `${size.toLocaleString('en')} messages = ${fmt(results.scale?.dbMegabytes[size] ?? Number.NaN)} MB in ${fmt(results.scale?.seedSeconds[size] ?? Number.NaN, 1)} s`).join('; ')}). ` +
        `Then batches of ${batch} mails go through the daemon's own intake (\`buildServices().intake.ingestRaw\`, in-process, log level warn): 70% new tickets, 20% replies ` +
        `whose In-Reply-To names a seeded confirmation, 10% carrying a seeded [CS-n] in the subject. Batches alternate between the sizes after a warm-up batch each. ` +
        `Outcomes at ${large.toLocaleString('en')}: ${Object.entries(results.scale.outcomes[large] ?? {}).map(([outcome, n]) => `${n} ${outcome}`).join(', ')}.`,
    );
  }
  const loads = env.loads.map((load) => `${load.section} ${load.before.map((value) => value.toFixed(2)).join('/')} -> ${load.after.map((value) => value.toFixed(2)).join('/')}`).join('; ');
  return [
    BEGIN,
    '',
    `Measured ${env.date} by \`npm run bench\`${env.quick ? ' (**--quick**: small sizes, not the reference figures)' : ''} in ${fmt(env.totalSeconds)} s on ${env.cores} cores (${env.cpus}), ` +
      `${env.memoryGb.toFixed(1)} GB memory, Node ${env.node}, Linux ${env.kernel}. Dovecot, the SMTP peer, the HTTP receiver, the daemon and the bench all share these cores. ` +
      `The daemon runs as bin/ticketd.js ships: \`${[...Object.entries(env.launch.env).map(([name, value]) => `${name}=${value}`), 'node', ...env.launch.nodeArgs].join(' ')}\` (README, Runtime settings).`,
    '',
    `Load average (1/5/15 min) before -> after each part: ${loads}.`,
    '',
    '| Figure | Target | Median | Min | Max | Runs | Target met |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...notes.flatMap((note) => [`- ${note}`]),
    '',
    END,
  ].join('\n');
}

const PREAMBLE = `# Benchmarks

How fast mail becomes a page, and what it costs (issue 8). Run \`npm run bench\` (about 10 minutes; \`npm run bench -- --quick\`
for a fast smoke run that prints but does not write this file). The section between the markers is rewritten by every run.
`;

/** Replaces the generated section of BENCHMARKS.md, keeping what was written around it. */
export function writeBenchmarks(file: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? `${current.slice(0, start)}${section}${current.slice(end + END.length)}` : `${PREAMBLE}\n${section}\n${current}`;
  writeFileSync(file, next);
}

/**
 * The daemon's own part, from the server's news to the page received (issue 17: < 30 ms at p50 on an idle
 * daemon, i.e. the isolated mails), with the stages of the isolated mails, and the same total for the steady stream.
 */
function inDaemonRows(heard: string, runs: Array<{ isolated: InDaemon; steady: InDaemon }>): string[] {
  const of = (pick: (run: { isolated: InDaemon; steady: InDaemon }) => number[], p: number) => spread(runs.map((run) => percentile(pick(run), p)));
  const idle = of((run) => run.isolated.heardToPageMs, 50);
  const stage = (figure: string, pick: (run: { isolated: InDaemon; steady: InDaemon }) => number[]) => {
    const stats = of(pick, 50);
    // A stage the path does not have (LMTP mail is never listed) gets no row.
    return stats.runs === 0 ? [] : [row({ figure, target: '', stats, digits: 1, unit: 'ms' })];
  };
  return [
    row({ figure: `In the daemon, isolated mails: ${heard} to page received, p50`, target: '< 30 ms', stats: idle, digits: 1, unit: 'ms', met: idle.median < 30 }),
    ...stage('... list the folder, p50', (run) => run.isolated.list),
    ...stage('... fetch and store the raw mail, p50', (run) => run.isolated.fetch),
    ...stage('... parse and read (worker thread), p50', (run) => run.isolated.parse),
    ...stage('... authenticate the sender, p50', (run) => run.isolated.authenticate),
    ...stage('... decide and commit, p50', (run) => run.isolated.commit),
    ...stage('... committed to page received (outbox hand-off, POST), p50', (run) => run.isolated.commitToPageMs),
    row({ figure: `In the daemon, steady stream: ${heard} to page received, p50`, target: '', stats: of((run) => run.steady.heardToPageMs, 50), digits: 1, unit: 'ms' }),
    row({ figure: `In the daemon, steady stream: ${heard} to page received, p99`, target: '', stats: of((run) => run.steady.heardToPageMs, 99), digits: 1, unit: 'ms' }),
  ];
}
