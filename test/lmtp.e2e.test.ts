import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from './support/free-port.js';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { runTicketd } from './support/ticketd-process.js';

// Mail delivered by a real Postfix over LMTP is in lmtp.postfix.test.ts (it needs root and runs only where Postfix can).
describe('ticketd run with an LMTP port it cannot have', () => {
  it('exits 1 at start, naming lmtp.host and lmtp.port, instead of running without its listener', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ticketd-lmtp-busy-'));
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const file = path.join(dir, 'ticketd.yaml');
      const own = testDialect() === 'sqlite' ? { database: { path: path.join(dir, 'ticketd.sqlite') } } : { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } };
      await writeFile(file, stringify({ ...own, smtp: { host: '127.0.0.1', port: 1 }, support: { address: 'help@cloudsoft.test' }, security: { senderAuth: 'off' }, lmtp: { port }, http: { port: await freePort() } }));
      const result = await runTicketd(['run', '--config', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`lmtp.listen_failed: cannot listen for LMTP on 127.0.0.1:${port}`);
      expect(result.stderr).toContain('check lmtp.host and lmtp.port');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
