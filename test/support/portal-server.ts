import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServices } from '../../src/app/start.js';
import { startWebServers } from '../../src/app/web/web.server.js';
import { configSchema } from '../../src/config/config.schema.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { freePort } from './free-port.js';
import { createTestPostgresDatabase, testDialect } from './test-database.js';

/**
 * The portal's listeners on loopback over the real services (database, stores, accounts, intake), without the
 * mailbox watcher: for tests of the web layer itself (limits, CSRF, sessions). Ports are picked by the OS.
 */
export async function startPortal({ http = {}, accounts = {}, support = {}, security = {}, admin = false }: { http?: Record<string, unknown>; accounts?: Record<string, unknown>; support?: Record<string, unknown>; security?: Record<string, unknown>; admin?: boolean } = {}) {
  const port = await freePort();
  const adminPort = admin ? await freePort() : 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-portal-'));
  const config = configSchema.parse({
    // This run's dialect: a SQLite file in the folder, or a fresh PostgreSQL database with the stores in the folder.
    ...(testDialect() === 'postgresql' ? { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(dir, 'store') } } : { database: { path: path.join(dir, 'ticketd.sqlite') } }),
    imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
    smtp: { host: '127.0.0.1' },
    support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test', 'globex.test'], engineerDomains: ['cloudsoft.test'], ...support },
    security,
    http: { port, adminPort, ...http },
    accounts,
    log: { level: 'silent' },
  });
  const services = await buildServices({ config, logger: createSilentLogger() });
  const listeners = await startWebServers({
    config,
    logger: createSilentLogger(),
    pages: services.pages,
    accounts: services.accounts,
    passwordLinks: services.passwordLinks,
    registration: services.registration,
    portal: services.portal,
    submitWeb: services.intake.submitWeb,
    attachmentStore: services.stores.attachments,
    onChange: () => undefined,
    admin: { readiness: () => ({ ok: true, checks: { database: { ok: true } } }), metrics: services.metrics },
  });
  async function createUser({ email, name = '', role = 'member', password }: { email: string; name?: string; role?: 'member' | 'manager' | 'engineer'; password?: string }) {
    const customers = services.repositories.customers;
    // Hashed before the transaction: argon2 never runs while the write lock is held.
    const hash = password ? await services.accounts.hashPassword(password) : undefined;
    await services.db.transaction(async () => {
      const { user } = await customers.upsertUser({ email, name, status: 'verified', at: new Date(), reenable: true });
      await customers.setRole({ email, role });
      if (hash) await services.accounts.storePassword({ userId: user.id, hash, at: new Date() });
    });
  }
  return {
    base: `http://127.0.0.1:${listeners.port}`,
    adminBase: listeners.adminPort ? `http://127.0.0.1:${listeners.adminPort}` : undefined,
    port: listeners.port as number,
    services,
    createUser,
    async close() {
      await listeners.close();
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
