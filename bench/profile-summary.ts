/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof=DIR`, or `node --cpu-prof`) by what the time
 * was spent for: each sample goes to the innermost frame that belongs to a known part of the daemon.
 *
 *   node dist/bench/bench/profile-summary.js DIR/CPU.*.cpuprofile
 */
import { readFileSync } from 'node:fs';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const BUCKETS: Array<[RegExp, string]> = [
  [/\(idle\)/, 'idle (waiting for I/O)'],
  [/\(garbage collector\)/, 'garbage collection'],
  [/node_modules\/(mailparser|libmime|libqp|libbase64|iconv-lite|encoding-japanese|html-to-text|@zone-eu|punycode|tlds|linkify-it)\//, 'parsing (mailparser and its decoders)'],
  [/node_modules\/imapflow\//, 'IMAP (imapflow)'],
  [/node_modules\/(drizzle-orm|better-sqlite3)\//, 'SQL (drizzle building and preparing queries, SQLite)'],
  [/node_modules\/(pino|sonic-boom|pino-std-serializers|fast-redact|quick-format-unescaped|thread-stream)\//, 'logging (pino)'],
  [/node_modules\/(nodemailer|axios|follow-redirects|form-data|proxy-from-env)\//, 'delivering confirmations and pages (nodemailer, axios)'],
  [/node:zlib|^zlib$/, 'gzip of the raw mail'],
  [/dist\/modules\/store\//, 'blob store files (open, write, rename, mkdir)'],
  [/dist\/modules\/intake\//, 'intake logic (ticketd)'],
  [/dist\/modules\/outbox\//, 'outbox worker (ticketd)'],
  [/dist\/modules\/mailbox\//, 'mailbox sync (ticketd)'],
  [/node:internal\/modules\/|node:internal\/bootstrap/, 'loading modules at start-up'],
  [/dist\//, 'other ticketd code'],
];

function bucketOf(frame: ProfileNode['callFrame']): string | undefined {
  const key = frame.url || frame.functionName;
  return BUCKETS.find(([pattern]) => pattern.test(key))?.[1];
}

export function summarize(profile: Profile): Array<{ bucket: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    all += delta;
    let current: number | undefined = id;
    let bucket: string | undefined;
    while (current !== undefined && bucket === undefined) {
      const node = byId.get(current);
      bucket = node ? bucketOf(node.callFrame) : undefined;
      current = parent.get(current);
    }
    const name = bucket ?? 'other (Node internals: streams, sockets, timers)';
    totals.set(name, (totals.get(name) ?? 0) + delta);
  });
  return [...totals]
    .map(([bucket, micros]) => ({ bucket, ms: micros / 1000, share: micros / all }))
    .sort((a, b) => b.ms - a.ms);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    console.log(`${file}: ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms profiled`);
    for (const { bucket, ms, share } of summarize(profile)) console.log(`${ms.toFixed(0).padStart(8)} ms ${(share * 100).toFixed(1).padStart(5)}%  ${bucket}`);
  }
}
