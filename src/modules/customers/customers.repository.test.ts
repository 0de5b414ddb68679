import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { createCustomersRepository } from './customers.repository.js';
import { bouncingAddresses, organisations } from './customers.tables.js';

const at = new Date('2026-11-25T09:00:00.123Z');
const later = new Date(at.getTime() + 60_000);

describe.each(DIALECTS)('the customers repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('creates an organisation once by name, and adds, lists, finds and removes domains (a second add is refused)', async () => {
    const customers = createCustomersRepository({ db });
    const acme = await customers.ensureOrganisation({ name: 'Acme', at });
    expect(await db.transaction(() => customers.ensureOrganisation({ name: 'Acme', at: later }))).toBe(acme);
    expect(await customers.addDomain({ domain: 'acme.test', organisation: 'Acme', origin: 'config', at })).toBe(true);
    expect(await customers.addDomain({ domain: 'acme.test', organisation: 'Other', origin: 'cli', at })).toBe(false);
    expect(await customers.addDomain({ domain: 'beta.test', organisation: 'Beta', origin: 'cli', at: later })).toBe(true);
    expect(await customers.listDomains()).toEqual([
      { domain: 'acme.test', organisationId: acme, origin: 'config', createdAt: at, organisation: 'Acme' },
      { domain: 'beta.test', organisationId: expect.any(Number), origin: 'cli', createdAt: later, organisation: 'Beta' },
    ]);
    expect(await customers.findDomain('acme.test')).toEqual({ domain: 'acme.test', organisationId: acme, origin: 'config', createdAt: at });
    expect(await customers.isApprovedDomain('beta.test')).toBe(true);
    expect(await customers.isApprovedDomain('gamma.test')).toBe(false);
    expect(await customers.removeDomain('beta.test')).toBe(true);
    expect(await customers.removeDomain('beta.test')).toBe(false);
    expect(await customers.isApprovedDomain('beta.test')).toBe(false);
  });

  it('creates a user under the organisation of its domain, finds it in any case, and lists users by status', async () => {
    const customers = createCustomersRepository({ db });
    await customers.addDomain({ domain: 'acme.test', organisation: 'Acme', origin: 'config', at });
    const acme = (await customers.findDomain('acme.test'))?.organisationId;
    const created = await customers.upsertUser({ email: 'ann@acme.test', name: 'Ann', status: 'verified', at });
    expect(created).toMatchObject({ change: 'created', user: { email: 'ann@acme.test', name: 'Ann', organisationId: acme, status: 'verified', role: 'member', verifiedAt: at, bouncingSince: null, createdAt: at } });
    await customers.upsertUser({ email: 'bob@other.test', name: 'Bob', status: 'pending', at: later });
    expect(await customers.findUser('ANN@Acme.test')).toEqual(created.user);
    expect(await customers.findUserById(created.user.id)).toEqual(created.user);
    expect(await customers.findUserById(created.user.id + 100)).toBeUndefined();
    expect((await customers.findUsers(['bob@other.test', 'ann@acme.test', 'nobody@acme.test'])).map((user) => user.email).sort()).toEqual(['ann@acme.test', 'bob@other.test']);
    expect(await customers.findUsers([])).toEqual([]);
    expect((await customers.listUsers()).map((user) => [user.email, user.organisation, user.verifiedAt])).toEqual([
      ['ann@acme.test', 'Acme', at],
      ['bob@other.test', null, null],
    ]);
    expect((await customers.listUsers({ status: 'pending' })).map((user) => user.email)).toEqual(['bob@other.test']);
  });

  it('upserts: verified wins over pending and keeps its first time, a disabled user stays disabled unless re-enabled, nothing new is unchanged', async () => {
    const customers = createCustomersRepository({ db });
    await customers.upsertUser({ email: 'cat@acme.test', name: 'Cat', status: 'pending', at });
    const verified = await customers.upsertUser({ email: 'cat@acme.test', name: '', organisation: 'Acme', status: 'verified', at });
    expect(verified).toMatchObject({ change: 'updated', user: { name: 'Cat', status: 'verified', verifiedAt: at, organisationId: await customers.ensureOrganisation({ name: 'Acme', at }) } });
    expect(await customers.upsertUser({ email: 'cat@acme.test', name: 'Cat', status: 'pending', at: later })).toEqual({ change: 'unchanged', user: verified.user });
    expect((await customers.upsertUser({ email: 'cat@acme.test', name: 'Cathy', status: 'verified', at: later })).user).toMatchObject({ name: 'Cathy', verifiedAt: at });
    expect(await customers.setStatus({ email: 'CAT@acme.test', status: 'disabled', at: later })).toMatchObject({ status: 'disabled', verifiedAt: at });
    expect(await customers.upsertUser({ email: 'cat@acme.test', name: 'Cathy', status: 'verified', at: later })).toMatchObject({ change: 'unchanged', user: { status: 'disabled' } });
    expect(await customers.upsertUser({ email: 'cat@acme.test', name: 'Cathy', status: 'verified', at: later, reenable: true })).toMatchObject({ change: 'updated', user: { status: 'verified', verifiedAt: at } });
    expect(await customers.setStatus({ email: 'cat@acme.test', status: 'verified', at: later })).toMatchObject({ status: 'verified', verifiedAt: later });
    expect(await customers.setStatus({ email: 'nobody@acme.test', status: 'disabled', at })).toBeUndefined();
  });

  it('sets role and name by address in any case', async () => {
    const customers = createCustomersRepository({ db });
    await customers.upsertUser({ email: 'dan@acme.test', name: 'Dan', status: 'verified', at });
    await customers.setRole({ email: 'DAN@acme.test', role: 'manager' });
    await customers.setName({ email: 'Dan@Acme.test', name: 'Daniel' });
    expect(await customers.findUser('dan@acme.test')).toMatchObject({ role: 'manager', name: 'Daniel' });
  });

  it('keeps verification tokens with their expiry, and uses one only once', async () => {
    const customers = createCustomersRepository({ db });
    const expiresAt = new Date(at.getTime() + 86_400_000);
    await customers.insertToken({ tokenHash: 'h1', email: 'eve@acme.test', expiresAt, at });
    expect(await customers.findToken('h1')).toEqual({ tokenHash: 'h1', email: 'eve@acme.test', expiresAt, usedAt: null, createdAt: at });
    expect(await customers.findToken('h2')).toBeUndefined();
    const [first, second] = await Promise.all([customers.useToken({ tokenHash: 'h1', at: later }), customers.useToken({ tokenHash: 'h1', at: later })]);
    expect([first, second].sort()).toEqual([false, true]);
    expect((await customers.findToken('h1'))?.usedAt).toEqual(later);
    expect(await customers.useToken({ tokenHash: 'h2', at })).toBe(false);
  });

  it('marks an address bouncing (the latest bounce wins) and its user with it', async () => {
    const customers = createCustomersRepository({ db });
    await customers.upsertUser({ email: 'fay@acme.test', name: 'Fay', status: 'verified', at });
    expect(await customers.isBouncing('fay@acme.test')).toBe(false);
    await customers.markBouncing({ address: 'fay@acme.test', reason: 'mailbox full', ticketId: null, at });
    await db.transaction(() => customers.markBouncing({ address: 'fay@acme.test', reason: 'no such user', ticketId: 7, at: later }));
    await customers.markBouncing({ address: 'stranger@else.test', reason: 'gone', ticketId: null, at });
    expect(await customers.isBouncing('fay@acme.test')).toBe(true);
    expect(await customers.isBouncing('stranger@else.test')).toBe(true);
    expect((await customers.findUser('fay@acme.test'))?.bouncingSince).toEqual(later);
    const bounces = await db.select().from(db.tables({ bouncingAddresses }).bouncingAddresses);
    expect(bounces.find((row) => row.address === 'fay@acme.test')).toEqual({ address: 'fay@acme.test', reason: 'no such user', ticketId: 7, at: later });
  });

  it('writes nothing of an upsert whose transaction fails (the new organisation neither)', async () => {
    const customers = createCustomersRepository({ db });
    await expect(
      db.transaction(async () => {
        await customers.upsertUser({ email: 'gus@acme.test', name: 'Gus', organisation: 'Gusco', status: 'verified', at });
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await customers.findUser('gus@acme.test')).toBeUndefined();
    expect(await customers.listUsers()).toEqual([]);
    // Ids are no test of it: a PostgreSQL sequence does not roll back.
    expect(await db.select().from(db.tables({ organisations }).organisations)).toEqual([]);
  });
});
