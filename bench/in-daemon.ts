import type { Stages } from '../src/shared/stage-trace.js';
import type { LogEntry } from './daemon.js';

/**
 * The daemon's own part of a mail's way to the page, per message, from its "message ingested" log line: the
 * stages it traced (server news heard, listed, fetched and stored, parsed, authenticated, committed: ms) and,
 * joined with the HTTP receiver's clock, the commit to the page received. `heardToPageMs` is everything from
 * "the server says a mail exists" (IMAP EXISTS at the daemon, or the LMTP DATA beginning) to the page received
 * by the paging service on loopback (so the POST itself is included).
 */
export type InDaemon = {
  heardToPageMs: number[];
  list: number[];
  fetch: number[];
  parse: number[];
  authenticate: number[];
  commit: number[];
  commitToPageMs: number[];
};

export type StageEntry = LogEntry & { stages?: Stages };

/** Collects the traced stages of every ingested message (by Message-ID) from the daemon's log. */
export function createStageLog() {
  const byId = new Map<string, { stages: Stages; committedAt: number }>();
  return {
    onEntry(entry: StageEntry): void {
      if (entry.msg === 'message ingested' && entry.messageId && entry.time && entry.stages) byId.set(entry.messageId, { stages: entry.stages, committedAt: entry.time });
    },
    /** The breakdown for these messages, each with the time its page was received (ms since the epoch). */
    inDaemon(pages: Array<{ messageId: string; pageAt: number }>): InDaemon {
      const result: InDaemon = { heardToPageMs: [], list: [], fetch: [], parse: [], authenticate: [], commit: [], commitToPageMs: [] };
      for (const { messageId, pageAt } of pages) {
        const traced = byId.get(messageId);
        if (!traced) continue;
        const { stages, committedAt } = traced;
        for (const stage of ['list', 'fetch', 'parse', 'authenticate', 'commit'] as const) {
          const value = stages[stage];
          if (value !== undefined) result[stage].push(value);
        }
        result.commitToPageMs.push(pageAt - committedAt);
        // Only a message whose trace starts at the server's news has a whole in-daemon time.
        if (stages.since === 'heardAt' && stages.total !== undefined) result.heardToPageMs.push(pageAt - (committedAt - stages.total));
      }
      return result;
    },
  };
}
