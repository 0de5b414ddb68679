import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTestPostgresDatabase } from '../../test/support/test-database.js';
import { configSchema } from '../config/config.schema.js';
import { createSilentLogger } from '../shared/logger.js';
import { buildServices } from './start.js';

/** An instance's services on `url`, its files under a folder of its own (`storage.path` as given). */
async function instance({ url, storagePath }: { url: string; storagePath?: (dir: string) => string }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-start-store-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const config = configSchema.parse({
    database: { url, path: path.join(dir, 'ticketd.sqlite') },
    ...(storagePath ? { storage: { path: storagePath(dir) } } : {}),
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    support: { address: 'help@cloudsoft.test' },
  });
  const services = await buildServices({ config, logger: createSilentLogger() });
  onTestFinished(() => services.close());
  return { dir, services };
}

describe('the stores start.ts builds on PostgreSQL', () => {
  it('shares raw mail and attachments through the database when storage.path is empty, each instance caching beside its database.path', async () => {
    const url = await createTestPostgresDatabase();
    const a = await instance({ url });
    const b = await instance({ url });
    const raw = await a.services.stores.raw.put(Buffer.from('Subject: one\r\n\r\nstored by A\r\n'));
    const file = await a.services.stores.attachments.put(Buffer.from('attached by A'));
    expect(existsSync(path.join(a.dir, 'store', 'raw', raw.sha256.slice(0, 2), `${raw.sha256}.gz`))).toBe(true);

    expect(await b.services.stores.raw.ensure(raw.sha256)).toBe(true);
    expect((await b.services.stores.raw.read(raw.sha256)).toString()).toBe('Subject: one\r\n\r\nstored by A\r\n');
    expect(await b.services.stores.attachments.ensure(file.sha256)).toBe(true);
    expect(b.services.stores.attachments.pathOf(file.sha256)).toBe(path.join(b.dir, 'store', 'attachments', file.sha256.slice(0, 2), file.sha256));
  });

  it('keeps the files alone when storage.path is set (a folder every instance mounts)', async () => {
    const url = await createTestPostgresDatabase();
    const a = await instance({ url, storagePath: (dir) => path.join(dir, 'shared') });
    const b = await instance({ url, storagePath: (dir) => path.join(dir, 'shared') });
    const raw = await a.services.stores.raw.put(Buffer.from('Subject: two\r\n\r\nonly in A\r\n'));
    expect(await a.services.stores.raw.ensure(raw.sha256)).toBe(true);
    // Not in the database: B, whose folder is not A's here, does not find it.
    expect(await b.services.stores.raw.ensure(raw.sha256)).toBe(false);
  });
});
