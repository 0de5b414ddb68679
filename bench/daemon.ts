import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { launchCommand, shippedLaunch } from '../src/shared/launch.js';
import { TICKETD_BIN } from './built.js';
import { waitUntil } from './stats.js';

export type DaemonChild = {
  child: ChildProcess;
  pid: number;
  /** Epoch ms of the first pino line with this `msg`, once it was logged. */
  loggedAt(msg: string): number | undefined;
  waitForLog(msg: string, timeoutMs?: number): Promise<number>;
  /** The last lines the daemon wrote (about 8 KB), for diagnosing a run that went wrong. */
  logTail(): string;
  /** VmHWM: the peak resident set size of the process over its life so far, in MB. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
};

/**
 * `ticketd run --config FILE` as a child process, the way an operator runs it. Its pino JSON lines are read
 * for the times of a few events; everything else it logs is dropped (kept only in a short tail for errors).
 */
export type LogEntry = { msg?: string; time?: number; messageId?: string };

export function startDaemonChild(configFile: string, { nodeArgs = [], onLog }: { nodeArgs?: string[]; onLog?: (entry: LogEntry) => void } = {}): DaemonChild {
  // Started with the runtime settings bin/ticketd.js ships (its first line), as an operator's process is;
  // BENCH_NODE_ARGS adds flags to try (bench/main.ts).
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const command = launchCommand(shippedLaunch(TICKETD_BIN), TICKETD_BIN, ['run', '--config', configFile], { extraNodeArgs: [...extra, ...nodeArgs] });
  const child = spawn(process.execPath, command.args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const firstSeen = new Map<string, number>();
  let tail = '';
  let partial = '';
  const onData = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail = (tail + line + '\n').slice(-8000);
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as LogEntry;
        if (entry.msg && entry.time && !firstSeen.has(entry.msg)) firstSeen.set(entry.msg, entry.time);
        onLog?.(entry);
      } catch {
        // not a log line
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  if (child.pid === undefined) throw new Error('could not start ticketd');
  const pid = child.pid;

  return {
    child,
    pid,
    loggedAt: (msg) => firstSeen.get(msg),
    async waitForLog(msg, timeoutMs = 30_000) {
      await waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`ticketd exited (${child.exitCode}) before logging "${msg}":\n${tail}`);
          return firstSeen.has(msg);
        },
        { timeoutMs, what: `ticketd to log "${msg}"\n${tail}` },
      );
      return firstSeen.get(msg) as number;
    },
    logTail: () => tail,
    peakRssMb: () => peakRssMb(pid),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** A read-only view of the daemon's database for counting what it stored (opened once the file exists). */
export function databaseWatcher(dbPath: string) {
  let db: Database.Database | undefined;
  const open = () => {
    if (!db && existsSync(dbPath)) {
      try {
        db = new Database(dbPath, { readonly: true, fileMustExist: true });
      } catch {
        db = undefined;
      }
    }
    return db;
  };
  return {
    /** Number of rows, or -1 while the database or the table does not exist yet. */
    count(sql: string): number {
      const handle = open();
      if (!handle) return -1;
      try {
        return handle.prepare(sql).pluck().get() as number;
      } catch {
        return -1;
      }
    },
    all<T>(sql: string): T[] {
      const handle = open();
      if (!handle) return [];
      return handle.prepare(sql).all() as T[];
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}

/** The same questions as `databaseWatcher`, asked of a PostgreSQL database (one connection, opened on first use). */
export function postgresWatcher(url: string) {
  let client: pg.Client | undefined;
  const open = async () => {
    if (!client) {
      const fresh = new pg.Client({ connectionString: url });
      await fresh.connect();
      client = fresh;
    }
    return client;
  };
  return {
    /** Number of rows, or -1 while the table does not exist yet. */
    async count(sql: string): Promise<number> {
      try {
        const row = (await (await open()).query({ text: sql, rowMode: 'array' })).rows[0] as unknown[] | undefined;
        return Number(row?.[0] ?? 0);
      } catch {
        return -1;
      }
    },
    async all<T>(sql: string): Promise<T[]> {
      return (await (await open()).query(sql)).rows as T[];
    },
    async close() {
      await client?.end();
      client = undefined;
    },
  };
}
