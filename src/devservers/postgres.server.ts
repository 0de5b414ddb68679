/**
 * A throwaway PostgreSQL (Debian `postgresql`) on 127.0.0.1 for tests: `initdb` into a temp folder, `pg_ctl`
 * on a free loopback port, its socket and log in the same folder, trust authentication for one superuser.
 * As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root). Stopping and starting
 * again on the same folder keeps the data, so tests can play a database outage.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from './listen.js';

const run = promisify(execFile);
const START_TIMEOUT_S = 30;
const SUPERUSER = 'ticketd';

export type PostgresServer = {
  host: '127.0.0.1';
  port: number;
  dir: string;
  /** `postgres://ticketd@127.0.0.1:PORT/DATABASE` (trust authentication on loopback). */
  url(database?: string): string;
  /** Creates an empty database owned by the superuser and answers its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Starts again on the same folder and port: the data is kept. */
  start(): Promise<void>;
  /** stop() and remove the folder. */
  destroy(): Promise<void>;
};

/** The newest PostgreSQL server binaries Debian installed (`/usr/lib/postgresql/<major>/bin`), with a clear error without them. */
export function postgresBinDir(root = '/usr/lib/postgresql'): string {
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(path.join(root, name, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = majors[0];
  if (newest === undefined) throw new Error(`PostgreSQL is not installed (no ${root}/<version>/bin/pg_ctl): apt-get install -y postgresql (the tests start their own server on 127.0.0.1)`);
  return path.join(root, newest, 'bin');
}

export async function startPostgres({ dir, port }: { dir?: string; port?: number } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const root = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'ticketd-postgres-')));
  const chosenPort = port ?? (await findFreePort());
  const data = path.join(root, 'data');
  const socketDir = path.join(root, 'run');
  const logFile = path.join(root, 'postgres.log');
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL will not run as root; as root the folder is handed to the `postgres` user and every tool runs as it.
  const tool = async (name: string, args: string[]) => {
    const file = path.join(bin, name);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  };
  let running = false;

  if (!existsSync(path.join(data, 'PG_VERSION'))) {
    await mkdir(socketDir, { recursive: true });
    if (asRoot) {
      const { uid, gid } = postgresOwner();
      await chown(root, uid, gid);
      await chown(socketDir, uid, gid);
    }
    try {
      await tool('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    } catch (error) {
      throw new Error(`initdb failed in ${data}: ${failureText(error)}`);
    }
  }

  // The server is stopped on exit too, should a test process end without destroy() ('exit' handlers cannot wait).
  const stopOnExit = () => {
    const file = path.join(bin, 'pg_ctl');
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' });
      else execFileSync(file, args, { stdio: 'ignore' });
    } catch {
      // gone already
    }
  };

  async function start(): Promise<void> {
    if (running) return;
    // fsync off: a test database need not survive a power cut, and it makes the suite several times faster.
    const options = `-p ${chosenPort} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      await tool('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', String(START_TIMEOUT_S), 'start']);
    } catch (error) {
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${chosenPort}: ${failureText(error)}\n--- postgres.log ---\n${await tail(logFile)}`);
    }
    running = true;
    process.on('exit', stopOnExit);
  }

  async function stop(): Promise<void> {
    if (!running) return;
    // fast: ends the sessions in progress, as an outage would, and waits for the server to exit.
    await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    running = false;
    process.off('exit', stopOnExit);
  }

  async function destroy(): Promise<void> {
    await stop();
    await rm(root, { recursive: true, force: true });
  }

  const url = (database = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${chosenPort}/${database}`;

  async function createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${JSON.stringify(name)}`);
    await tool('createdb', ['-h', '127.0.0.1', '-p', String(chosenPort), '-U', SUPERUSER, name]).catch((error: unknown) => {
      throw new Error(`createdb ${name} failed: ${failureText(error)}`);
    });
    return url(name);
  }

  try {
    await start();
  } catch (error) {
    if (!dir) await rm(root, { recursive: true, force: true });
    throw error;
  }
  return { host: '127.0.0.1', port: chosenPort, dir: root, url, createDatabase, start, stop, destroy };
}

function postgresOwner(): { uid: number; gid: number } {
  const line = readPasswd().find((entry) => entry.split(':')[0] === 'postgres');
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no `postgres` user: apt-get install -y postgresql creates it');
  return { uid: Number(uid), gid: Number(gid) };
}

function readPasswd(): string[] {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n');
  } catch {
    return [];
  }
}

async function tail(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => ''))
    .trimEnd()
    .split('\n')
    .slice(-20)
    .join('\n');
}

function failureText(error: unknown): string {
  const failed = error as { stderr?: string; message?: string };
  return (failed.stderr?.trim() || failed.message || String(error)).slice(0, 2000);
}
