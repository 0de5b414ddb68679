import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import { configSchema } from '../../config/config.schema.js';
import type { Db } from '../../shared/db.js';
import type { PasswordLinks } from '../accounts/password-links.usecases.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { requireMailTemplates } from '../templates/templates.loader.js';
import { importUsers } from './users-import.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'] },
  http: { publicUrl: 'https://support.cloudsoft.test/' },
});
const templates = requireMailTemplates({ dir: '' });
const at = new Date('2026-11-25T09:00:00.123Z');
const later = new Date(at.getTime() + 3_600_000);

/** Records the users a welcome link was issued for; the link itself is another module's test. */
function fakePasswordLinks(issued: number[]): PasswordLinks {
  return { issueLink: async ({ userId }: { userId: number }) => (issued.push(userId), { url: `https://support.cloudsoft.test/reset?token=${userId}`, sealed: [] }) } as unknown as PasswordLinks;
}

describe.each(DIALECTS)('importing users on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
    await createCustomersRepository({ db }).addDomain({ domain: 'acme.test', organisation: 'Acme', origin: 'config', at });
  });
  afterEach(async () => db.close());

  it('registers good rows as verified, reports bad ones by line, welcomes each new user once, and changes nothing on a second run', async () => {
    const customers = createCustomersRepository({ db });
    const issued: number[] = [];
    const progress: Array<[number, number]> = [];
    const csvText = ['email,name,organisation,role', 'Ann@Acme.test,Ann', 'bob@acme.test,Bob,Bobco,manager', 'bad-address,X', 'eve@evil.test,Eve', 'ann@acme.test,Again'].join('\n');
    const run = (when: Date) => importUsers({ db, config, csvText, welcome: true, at: when, templates, passwordLinks: fakePasswordLinks(issued), newMessageId: () => 'id', onProgress: (done, total) => progress.push([done, total]) });

    const first = await run(at);
    expect(first).toMatchObject({ rows: 5, created: 2, updated: 0, unchanged: 0, welcomes: 2, newlyVerified: ['ann@acme.test', 'bob@acme.test'] });
    expect(first.errors.map((error) => error.line)).toEqual([4, 5, 6]);
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
    const ann = await customers.findUser('ann@acme.test');
    const bob = await customers.findUser('bob@acme.test');
    expect(ann).toMatchObject({ name: 'Ann', status: 'verified', role: 'member', verifiedAt: at, createdAt: at, organisationId: (await customers.findDomain('acme.test'))?.organisationId });
    expect(bob).toMatchObject({ name: 'Bob', status: 'verified', role: 'manager', verifiedAt: at, organisationId: await customers.ensureOrganisation({ name: 'Bobco', at }) });
    expect(issued).toEqual([ann?.id, bob?.id]);
    const welcomes = await createOutboxRepository({ db }).list();
    expect(welcomes.map((item) => [item.effectKey, item.payload.kind === 'email' ? item.payload.mail.to : []])).toEqual([
      ['welcome:ann@acme.test', ['ann@acme.test']],
      ['welcome:bob@acme.test', ['bob@acme.test']],
    ]);

    const second = await run(later);
    expect(second).toMatchObject({ rows: 5, created: 0, updated: 0, unchanged: 2, welcomes: 0, newlyVerified: [] });
    expect(await createOutboxRepository({ db }).list()).toHaveLength(2);
    expect(await customers.findUser('ann@acme.test')).toEqual(ann);
  });

  it('verifies pending users, updates changed ones keeping their first verification, keeps engineers, and leaves disabled users alone', async () => {
    const customers = createCustomersRepository({ db });
    await customers.upsertUser({ email: 'pat@acme.test', name: 'Pat', status: 'pending', at });
    await customers.upsertUser({ email: 'val@acme.test', name: 'Val', status: 'verified', at });
    await customers.upsertUser({ email: 'eng@acme.test', name: 'Eng', status: 'verified', at });
    await customers.setRole({ email: 'eng@acme.test', role: 'engineer' });
    await customers.upsertUser({ email: 'dis@acme.test', name: 'Dis', status: 'verified', at });
    await customers.setStatus({ email: 'dis@acme.test', status: 'disabled', at });
    const csvText = ['pat@acme.test,', 'val@acme.test,Valerie,,manager', 'eng@acme.test,Eng,,member', 'dis@acme.test,Dis'].join('\n');

    const report = await importUsers({ db, config, csvText, welcome: false, at: later });
    expect(report).toMatchObject({ rows: 4, created: 0, updated: 2, unchanged: 1, welcomes: 0, newlyVerified: ['pat@acme.test'] });
    expect(report.errors).toEqual([{ line: 4, email: 'dis@acme.test', error: 'user is disabled (not changed)' }]);
    expect(await customers.findUser('pat@acme.test')).toMatchObject({ name: 'Pat', status: 'verified', verifiedAt: later });
    expect(await customers.findUser('val@acme.test')).toMatchObject({ name: 'Valerie', role: 'manager', status: 'verified', verifiedAt: at });
    expect(await customers.findUser('eng@acme.test')).toMatchObject({ role: 'engineer' });
    expect(await customers.findUser('dis@acme.test')).toMatchObject({ status: 'disabled' });
  });

  it('is one transaction: a failure part-way writes no row at all', async () => {
    const customers = createCustomersRepository({ db });
    const csvText = ['ann@acme.test,Ann,Newco', 'bob@acme.test,Bob'].join('\n');
    const failing = importUsers({
      db,
      config,
      csvText,
      welcome: false,
      at,
      onProgress: (done) => {
        if (done === 2) throw new Error('interrupted');
      },
    });
    await expect(failing).rejects.toThrow('interrupted');
    expect(await customers.listUsers()).toEqual([]);
    expect((await customers.listDomains()).map((row) => row.organisation)).toEqual(['Acme']);
  });
});
