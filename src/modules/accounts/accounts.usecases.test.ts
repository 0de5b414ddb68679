import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createAccounts } from './accounts.usecases.js';
import { createArgon2Hasher, type PasswordHasher } from './drivers/argon2.password-hasher-driver.js';
import { loadCommonPasswords } from './drivers/zxcvbn.password-list-driver.js';
import { passwordProblem } from './password.models.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], engineerDomains: ['cloudsoft.test'] },
});
const PASSWORD = 'correct horse battery staple';

async function setup() {
  const db = await openTestDatabase();
  onTestFinished(() => db.close());
  let now = new Date('2026-11-25T09:00:00Z');
  await seedCustomerDomains({ db, domains: ['acme.test'], at: now });
  const calls: string[] = [];
  const real = createArgon2Hasher();
  // Runs after a verification, before sign-in goes on: what another request may do meanwhile.
  let afterVerify: (() => Promise<void>) | undefined;
  const hasher: PasswordHasher = {
    hash: (password) => (calls.push('hash'), real.hash(password)),
    verify: async (stored, password) => {
      calls.push('verify');
      const matches = await real.verify(stored, password);
      await afterVerify?.();
      return matches;
    },
  };
  const accounts = createAccounts({ db, config, hasher, clock: { now: () => now }, commonPasswords: async () => new Set(['password1']) });
  const customers = createCustomersRepository({ db });
  async function user(email: string, role: 'member' | 'manager' | 'engineer' = 'member') {
    const { user: row } = await customers.upsertUser({ email, name: email, status: 'verified', at: now });
    await customers.setRole({ email, role });
    const hash = await accounts.hashPassword(PASSWORD);
    await db.transaction(() => accounts.storePassword({ userId: row.id, hash, at: now }));
    return row.id;
  }
  return { db, accounts, customers, user, calls, advance: (ms: number) => (now = new Date(now.getTime() + ms)), meanwhile: (work: () => Promise<void>) => (afterVerify = work) };
}

describe('portal accounts', () => {
  it('stores argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), never the password', async () => {
    const { accounts, user } = await setup();
    const id = await user('dana@acme.test');
    const hash = (await accounts.repository.passwordOf(id)) as string;
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain(PASSWORD);
  });

  it('ends a session after 30 idle minutes, and any session 12 hours after sign-in however active', async () => {
    const { accounts, user, advance } = await setup();
    await user('dana@acme.test');
    const first = await accounts.login({ email: 'dana@acme.test', password: PASSWORD, ip: '192.0.2.1' });
    if (first.kind !== 'ok') throw new Error(first.kind);
    advance(29 * 60_000);
    expect(await accounts.sessionOf(first.sessionId)).toMatchObject({ email: 'dana@acme.test' });
    advance(30 * 60_000);
    expect(await accounts.sessionOf(first.sessionId)).toBeUndefined();
    const second = await accounts.login({ email: 'dana@acme.test', password: PASSWORD, ip: '192.0.2.1' });
    if (second.kind !== 'ok') throw new Error(second.kind);
    expect(second.sessionId).not.toBe(first.sessionId);
    for (let hour = 0; hour < 12 * 3; hour += 1) {
      advance(20 * 60_000);
      await accounts.sessionOf(second.sessionId);
    }
    expect(await accounts.sessionOf(second.sessionId)).toBeUndefined();
  });

  it('ends every session of a user whose password changes, and of one who is disabled', async () => {
    const { accounts, user, db, customers } = await setup();
    const id = await user('dana@acme.test');
    const sessions = await Promise.all([1, 2].map(() => accounts.login({ email: 'dana@acme.test', password: PASSWORD, ip: '192.0.2.1' })));
    // Both were real sessions before the change (otherwise the checks below would prove nothing).
    for (const session of sessions) expect(session.kind === 'ok' && (await accounts.sessionOf(session.sessionId))).toMatchObject({ email: 'dana@acme.test' });
    const hash = await accounts.hashPassword('another long passphrase');
    await db.transaction(() => accounts.storePassword({ userId: id, hash, at: new Date() }));
    for (const session of sessions) expect(session.kind === 'ok' && (await accounts.sessionOf(session.sessionId))).toBeFalsy();
    const again = await accounts.login({ email: 'dana@acme.test', password: 'another long passphrase', ip: '192.0.2.1' });
    expect(again.kind === 'ok' && (await accounts.sessionOf(again.sessionId))).toMatchObject({ email: 'dana@acme.test' });
    await customers.setStatus({ email: 'dana@acme.test', status: 'disabled', at: new Date() });
    expect(again.kind === 'ok' && (await accounts.sessionOf(again.sessionId))).toBeFalsy();
  });

  it('does not sign in with a password changed while it was being checked, nor for a user disabled meanwhile', async () => {
    const { accounts, user, db, customers, meanwhile } = await setup();
    const id = await user('dana@acme.test');
    const hash = await accounts.hashPassword('another long passphrase');
    meanwhile(async () => {
      meanwhile(async () => undefined);
      await db.transaction(() => accounts.storePassword({ userId: id, hash, at: new Date() }));
    });
    expect(await accounts.login({ email: 'dana@acme.test', password: PASSWORD, ip: '192.0.2.1' })).toEqual({ kind: 'wrong' });
    expect(await accounts.login({ email: 'dana@acme.test', password: 'another long passphrase', ip: '192.0.2.1' })).toMatchObject({ kind: 'ok' });
    meanwhile(async () => {
      meanwhile(async () => undefined);
      await customers.setStatus({ email: 'dana@acme.test', status: 'disabled', at: new Date() });
    });
    expect(await accounts.login({ email: 'dana@acme.test', password: 'another long passphrase', ip: '192.0.2.1' })).toEqual({ kind: 'wrong' });
  });

  it('lets the engineer role count only for an address of an engineer domain', async () => {
    const { accounts, user } = await setup();
    await user('eve@cloudsoft.test', 'engineer');
    await user('mallory@acme.test', 'engineer');
    expect(await accounts.login({ email: 'eve@cloudsoft.test', password: PASSWORD, ip: '192.0.2.1' })).toMatchObject({ kind: 'ok', user: { role: 'engineer' } });
    expect(await accounts.login({ email: 'mallory@acme.test', password: PASSWORD, ip: '192.0.2.1' })).toEqual({ kind: 'wrong' });
  });

  it('checks an unknown address against a decoy hash: one argon2 verification, like a known one', async () => {
    const { accounts, user, calls } = await setup();
    await user('dana@acme.test');
    calls.length = 0;
    await accounts.login({ email: 'dana@acme.test', password: 'wrong', ip: '192.0.2.1' });
    const known = calls.filter((call) => call === 'verify').length;
    calls.length = 0;
    await accounts.login({ email: 'nobody@acme.test', password: 'wrong', ip: '192.0.2.1' });
    expect(calls.filter((call) => call === 'verify').length).toBe(known);
    expect(known).toBe(1);
  });

  it('rejects short, over-long, common and self-named passwords, and accepts a passphrase with no composition rules', async () => {
    const common = await loadCommonPasswords();
    expect(common.size).toBeGreaterThan(40_000);
    const problem = (password: string) => passwordProblem({ password, email: 'dana.scully@acme.test', common });
    expect(problem('short')).toContain('at least 8');
    expect(problem('x'.repeat(129))).toContain('at most 128');
    expect(problem('🔑'.repeat(8))).toBeUndefined();
    expect(problem('iloveyou')).toContain('common');
    expect(problem('Password1')).toContain('common');
    expect(problem('dana.scully')).toContain('address');
    expect(problem('all lower case words')).toBeUndefined();
  });
});
