import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/config.schema.js';
import { buildServices } from './start.js';
import { createSilentLogger } from '../shared/logger.js';
import { testDialect } from '../../test/support/test-database.js';

/** SQLite's PRAGMA synchronous values: 1 NORMAL, 2 FULL. */
async function synchronousOf({ processedFolder, lmtpPort = 0 }: { processedFolder: string; lmtpPort?: number }): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-durability-'));
  const config = configSchema.parse({
    database: { path: path.join(dir, 'ticketd.sqlite') },
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test', processedFolder },
    smtp: { host: '127.0.0.1' },
    support: { address: 'help@cloudsoft.test' },
    lmtp: { port: lmtpPort },
  });
  const services = await buildServices({ config, logger: createSilentLogger() });
  try {
    return services.db.$writer!.pragma('synchronous', { simple: true }) as number;
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// SQLite's PRAGMA synchronous is the subject (a PostgreSQL commit is durable when it returns): SQLite runs only.
describe.skipIf(testDialect() !== 'sqlite')('durability of a commit before the server is told', () => {
  it('makes every commit durable (synchronous FULL) when handled mail is moved out of the watched folder', async () => {
    expect(await synchronousOf({ processedFolder: 'Processed' })).toBe(2);
  });

  it('keeps synchronous NORMAL when handled mail stays in the folder, flagged (a rolled-back commit reads it again)', async () => {
    expect(await synchronousOf({ processedFolder: '' })).toBe(1);
  });

  it('makes every commit durable when LMTP is on: the MTA deletes its copy on our 250', async () => {
    expect(await synchronousOf({ processedFolder: '', lmtpPort: 2424 })).toBe(2);
  });
});
