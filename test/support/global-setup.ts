import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from '../../src/devservers/postgres.server.js';

/**
 * What `npm test` needs from the machine beside Node: the tests start their own throwaway Dovecot and PostgreSQL
 * and drive the registration pages in Chromium. `.ci/run` installs them; on a machine without them the run says so in one
 * line up front (the tests that need them then fail with the same hint) instead of an obscure spawn error.
 * Postfix is not listed: it also needs root, and where it cannot run vitest.config.ts leaves its suite
 * (`*.postfix.test.ts`) out with a line of its own (test/support/suite-gates.ts).
 */
export const REQUIRED_BINARIES = [
  { binary: '/usr/sbin/dovecot', apt: 'dovecot-imapd', neededBy: 'the IMAP and end-to-end tests' },
  { binary: '/usr/bin/chromium', apt: 'chromium', neededBy: "the portal's browser tests" },
  { binary: '/usr/lib/postgresql', apt: 'postgresql', neededBy: 'the PostgreSQL tests' },
] as const;

/** One line naming what is missing and the apt-get line that installs it, or undefined when nothing is. */
export function missingBinariesLine(exists: (file: string) => boolean = existsSync): string | undefined {
  const missing = REQUIRED_BINARIES.filter((entry) => !exists(entry.binary));
  if (missing.length === 0) return undefined;
  return `npm test: missing ${missing.map((entry) => `${entry.binary} (${entry.neededBy})`).join(', ')}: run  apt-get install -y ${missing.map((entry) => entry.apt).join(' ')}  (as root; .ci/run does it); those tests fail until then`;
}

/** Removes a run's temp folder; returns the `ticketd-*` folders tests left in it. */
export async function removeRunDir(runDir: string): Promise<string[]> {
  const leftovers = (await readdir(runDir)).filter((name) => name.startsWith('ticketd-')).sort();
  await rm(runDir, { recursive: true, force: true });
  return leftovers;
}

/**
 * Every test run gets its own temp folder (TMPDIR, inherited by the test workers and every process they start),
 * so the check below sees only this run's leftovers even while other runs share the machine. At the end, any
 * `ticketd-*` folder still in it was left behind by a test that does not clean up: the run fails naming it.
 * The folder itself is removed either way, so nothing is left in the system's temp dir.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const line = missingBinariesLine();
  if (line) console.warn(line);

  const runDir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-run-'));
  // Dovecot's auth process (another user) must traverse down to the test servers' folders.
  await chmod(runDir, 0o755);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;

  // One PostgreSQL for the run: the tests that run on both dialects (test/support/test-database.ts) each create a
  // database of their own on it. Without the package, those tests fail with the install hint instead.
  let postgres: PostgresServer | undefined;
  try {
    postgres = await startPostgres();
    project.provide('postgresUrl', postgres.url());
  } catch (error) {
    project.provide('postgresUrl', `unavailable: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }

  return async () => {
    await postgres?.destroy();
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const leftovers = await removeRunDir(runDir);
    if (leftovers.length > 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`tests left ${leftovers.length} temp folder(s) behind (each test must remove what it creates): ${leftovers.join(', ')}`);
    }
  };
}
