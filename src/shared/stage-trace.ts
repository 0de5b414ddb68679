/**
 * Moments in one message's way through the daemon, read from the monotonic clock (`performance.now()`, ms):
 * the server reported new mail (IMAP EXISTS, or an LMTP delivery began), the folder was listed, the bytes were
 * fetched and in the raw store, parsed and read, the sender authenticated. A moment the path does not have is
 * absent (the first pass after connecting heard nothing; `ticketd ingest` has none of them).
 */
export type ArrivalTrace = { heardAt?: number; listedAt?: number; fetchedAt?: number; parsedAt?: number; authenticatedAt?: number };

/**
 * Stage durations in ms (to 0.1), each from the moment before it that is known; `total` from the first known
 * moment, which `since` names (`heardAt`: the whole time since the server's news).
 */
export type Stages = { list?: number; fetch?: number; parse?: number; authenticate?: number; commit?: number; total?: number; since?: keyof ArrivalTrace };

const STAGES = [
  ['list', 'listedAt'],
  ['fetch', 'fetchedAt'],
  ['parse', 'parsedAt'],
  ['authenticate', 'authenticatedAt'],
] as const;

/**
 * Where a committed message's time went: each stage ends at its moment and starts at the latest known moment
 * before it, `commit` ends at `committedAt` (waiting for the messages before it in the same batch included).
 * Empty when nothing was traced.
 */
export function stagesOf(trace: ArrivalTrace | undefined, committedAt: number): Stages {
  if (!trace) return {};
  const stages: Stages = {};
  let previous = trace.heardAt;
  const since = (['heardAt', 'listedAt', 'fetchedAt', 'parsedAt', 'authenticatedAt'] as const).find((moment) => trace[moment] !== undefined);
  for (const [stage, moment] of STAGES) {
    const at = trace[moment];
    if (at === undefined) continue;
    if (previous !== undefined) stages[stage] = tenths(at - previous);
    previous = at;
  }
  if (previous !== undefined) stages.commit = tenths(committedAt - previous);
  if (since !== undefined) {
    stages.total = tenths(committedAt - (trace[since] as number));
    stages.since = since;
  }
  return stages;
}

function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}
