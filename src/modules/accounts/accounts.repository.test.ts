import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase } from '../../../test/support/test-database.js';
import type { Db } from '../../shared/db.js';
import { onlyRow } from '../../shared/db-results.js';
import { users } from '../customers/customers.tables.js';
import { createAccountsRepository } from './accounts.repository.js';

const at = new Date('2026-12-06T05:00:00.123Z');
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);

async function addUser(db: Db, email: string): Promise<number> {
  const t = db.tables({ users });
  return db.write(async () => onlyRow(await db.insert(t.users).values({ email, name: email.split('@')[0] ?? '', status: 'verified', createdAt: at }).returning({ id: t.users.id })).id);
}

describe.each(DIALECTS)('the accounts repository on %s', (dialect) => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDatabase(dialect);
  });
  afterEach(async () => db.close());

  it('sets a password, replaces it on a second set, and tells who has one', async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    const bob = await addUser(db, 'bob@acme.com');
    expect(await accounts.hasPassword(ann)).toBe(false);
    expect(await accounts.passwordOf(ann)).toBeUndefined();
    await accounts.setPassword({ userId: ann, hash: '$argon2id$first', at });
    await db.transaction(() => accounts.setPassword({ userId: ann, hash: '$argon2id$second', at: later(1) }));
    expect(await accounts.passwordOf(ann)).toBe('$argon2id$second');
    expect(await accounts.hasPassword(ann)).toBe(true);
    expect(await accounts.hasPassword(bob)).toBe(false);
  });

  it('stores a session, finds it with its user, touches it and deletes it', async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    await accounts.insertSession({ idHash: 'h1', userId: ann, at });
    expect(await accounts.findSession('h1')).toEqual({
      session: { idHash: 'h1', userId: ann, createdAt: at, lastSeenAt: at },
      user: expect.objectContaining({ id: ann, email: 'ann@acme.com', status: 'verified', role: 'member', createdAt: at, verifiedAt: null }),
    });
    await accounts.touchSession({ idHash: 'h1', at: later(5) });
    expect((await accounts.findSession('h1'))?.session).toEqual({ idHash: 'h1', userId: ann, createdAt: at, lastSeenAt: later(5) });
    expect(await accounts.findSession('missing')).toBeUndefined();
    await accounts.deleteSession('h1');
    expect(await accounts.findSession('h1')).toBeUndefined();
  });

  it("deletes a user's sessions and counts them, leaving other users' alone", async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    const bob = await addUser(db, 'bob@acme.com');
    for (const idHash of ['a1', 'a2']) await accounts.insertSession({ idHash, userId: ann, at });
    await accounts.insertSession({ idHash: 'b1', userId: bob, at });
    expect(await accounts.deleteSessionsOf(ann)).toBe(2);
    expect(await accounts.deleteSessionsOf(ann)).toBe(0);
    expect(await accounts.findSession('b1')).toBeDefined();
  });

  it('sweeps sessions idle or created before the limits, not those exactly at them', async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    await accounts.insertSession({ idHash: 'idle', userId: ann, at });
    await accounts.insertSession({ idHash: 'old', userId: ann, at: later(1) });
    await accounts.touchSession({ idHash: 'old', at: later(60) });
    await accounts.insertSession({ idHash: 'edge', userId: ann, at: later(10) });
    await accounts.insertSession({ idHash: 'fresh', userId: ann, at: later(30) });
    // Idle since `at` (before later(10)); created at later(1) (before later(2)); `edge` idles exactly at the limit.
    expect(await accounts.deleteStaleSessions({ idleBefore: later(10), createdBefore: later(2) })).toBe(2);
    expect(await accounts.findSession('idle')).toBeUndefined();
    expect(await accounts.findSession('old')).toBeUndefined();
    expect(await accounts.findSession('edge')).toBeDefined();
    expect(await accounts.findSession('fresh')).toBeDefined();
    expect(await accounts.deleteStaleSessions({ idleBefore: later(10), createdBefore: later(2) })).toBe(0);
  });

  it('uses a password link once, and retires the outstanding links of a user', async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    const bob = await addUser(db, 'bob@acme.com');
    const token = (tokenHash: string, userId: number) => ({ tokenHash, userId, purpose: 'reset' as const, expiresAt: later(30), createdAt: at });
    await accounts.insertToken(token('t1', ann));
    await accounts.insertToken({ ...token('t2', ann), purpose: 'welcome' });
    await accounts.insertToken(token('t3', ann));
    await accounts.insertToken(token('b1', bob));
    expect(await accounts.findToken('t1')).toEqual({ tokenHash: 't1', userId: ann, purpose: 'reset', expiresAt: later(30), usedAt: null, createdAt: at });
    expect(await accounts.findToken('missing')).toBeUndefined();

    expect(await accounts.useToken({ tokenHash: 't1', at: later(1) })).toBe(true);
    expect(await db.transaction(() => accounts.useToken({ tokenHash: 't1', at: later(2) }))).toBe(false);
    expect(await accounts.useToken({ tokenHash: 'missing', at: later(2) })).toBe(false);
    expect((await accounts.findToken('t1'))?.usedAt).toEqual(later(1));

    await accounts.retireTokensOf({ userId: ann, at: later(3) });
    expect((await accounts.findToken('t1'))?.usedAt).toEqual(later(1));
    expect((await accounts.findToken('t2'))?.usedAt).toEqual(later(3));
    expect((await accounts.findToken('t3'))?.usedAt).toEqual(later(3));
    expect((await accounts.findToken('b1'))?.usedAt).toBeNull();
    expect(await accounts.useToken({ tokenHash: 't2', at: later(4) })).toBe(false);
  });

  it("joins the caller's transaction: a rollback undoes its writes", async () => {
    const accounts = createAccountsRepository({ db });
    const ann = await addUser(db, 'ann@acme.com');
    await expect(
      db.transaction(async () => {
        await accounts.insertSession({ idHash: 'h1', userId: ann, at });
        await accounts.setPassword({ userId: ann, hash: 'x', at });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await accounts.findSession('h1')).toBeUndefined();
    expect(await accounts.hasPassword(ann)).toBe(false);
  });
});
