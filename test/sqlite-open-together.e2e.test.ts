import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** One process opening (creating, migrating) the SQLite file; resolves with its exit code and what it wrote to stderr. */
function openInChild(file: string): Promise<{ code: number | null; stderr: string }> {
  // The built module (`npm test` builds dist/ first), as the daemon loads it.
  const db = new URL('../dist/shared/db.js', import.meta.url).href;
  const script = `import { openDatabase, closeDatabase } from ${JSON.stringify(db)}; await closeDatabase(openDatabase({ path: ${JSON.stringify(file)} }));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/**
 * Several instances started together on one new SQLite file (issue 18's failover and mailbox tests do this): the
 * switch to WAL and the migrations met each other's locks with SQLITE_BUSY, and one instance exited at start-up.
 */
describe('instances opening one new SQLite file together', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('all start: each waits for the other\'s lock, and the migrations run once', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-together-'));
    for (let round = 0; round < 3; round += 1) {
      const file = path.join(dir, `round-${round}.sqlite`);
      const results = await Promise.all(Array.from({ length: 4 }, () => openInChild(file)));
      expect(results.map((result) => result.stderr)).toEqual(['', '', '', '']);
      expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    }
  }, 60_000);
});
