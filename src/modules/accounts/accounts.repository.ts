import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../../shared/db.js';
import { changedRows, firstRow } from '../../shared/db-results.js';
import { users } from '../customers/customers.tables.js';
import { passwords, passwordTokens, sessions } from './accounts.tables.js';

export type SessionRow = typeof sessions.$inferSelect;
export type PasswordTokenRow = typeof passwordTokens.$inferSelect;
export type AccountUser = typeof users.$inferSelect;

/** Queries only; callers own the transaction. The same statements on SQLite and PostgreSQL (issue 18). */
export function createAccountsRepository({ db }: { db: Db }) {
  const t = db.tables({ users, passwords, passwordTokens, sessions });

  async function passwordOf(userId: number): Promise<string | undefined> {
    return firstRow(await db.select({ hash: t.passwords.hash }).from(t.passwords).where(eq(t.passwords.userId, userId)))?.hash;
  }

  async function setPassword({ userId, hash, at }: { userId: number; hash: string; at: Date }): Promise<void> {
    await db.write(async () => {
      await db.insert(t.passwords).values({ userId, hash, changedAt: at }).onConflictDoUpdate({ target: t.passwords.userId, set: { hash, changedAt: at } });
    });
  }

  async function hasPassword(userId: number): Promise<boolean> {
    return (await passwordOf(userId)) !== undefined;
  }

  async function insertSession({ idHash, userId, at }: { idHash: string; userId: number; at: Date }): Promise<void> {
    await db.write(async () => {
      await db.insert(t.sessions).values({ idHash, userId, createdAt: at, lastSeenAt: at });
    });
  }

  /** The session and its user, in one query. */
  async function findSession(idHash: string): Promise<{ session: SessionRow; user: AccountUser } | undefined> {
    return firstRow(await db.select({ session: t.sessions, user: t.users }).from(t.sessions).innerJoin(t.users, eq(t.users.id, t.sessions.userId)).where(eq(t.sessions.idHash, idHash)));
  }

  async function touchSession({ idHash, at }: { idHash: string; at: Date }): Promise<void> {
    await db.write(async () => {
      await db.update(t.sessions).set({ lastSeenAt: at }).where(eq(t.sessions.idHash, idHash));
    });
  }

  async function deleteSession(idHash: string): Promise<void> {
    await db.write(async () => {
      await db.delete(t.sessions).where(eq(t.sessions.idHash, idHash));
    });
  }

  async function deleteSessionsOf(userId: number): Promise<number> {
    return db.write(async () => changedRows(await db.delete(t.sessions).where(eq(t.sessions.userId, userId))));
  }

  /** Sessions past either limit, whoever they belong to (a sweep keeps the table small). */
  async function deleteStaleSessions({ idleBefore, createdBefore }: { idleBefore: Date; createdBefore: Date }): Promise<number> {
    return db.write(async () => changedRows(await db.delete(t.sessions).where(or(lt(t.sessions.lastSeenAt, idleBefore), lt(t.sessions.createdAt, createdBefore)))));
  }

  async function insertToken(row: Omit<PasswordTokenRow, 'usedAt'>): Promise<void> {
    await db.write(async () => {
      await db.insert(t.passwordTokens).values(row);
    });
  }

  async function findToken(tokenHash: string): Promise<PasswordTokenRow | undefined> {
    return firstRow(await db.select().from(t.passwordTokens).where(eq(t.passwordTokens.tokenHash, tokenHash)));
  }

  /** Marks the link used; false when it already was (a second click, a concurrent request). */
  async function useToken({ tokenHash, at }: { tokenHash: string; at: Date }): Promise<boolean> {
    return db.write(
      async () => changedRows(await db.update(t.passwordTokens).set({ usedAt: at }).where(and(eq(t.passwordTokens.tokenHash, tokenHash), isNull(t.passwordTokens.usedAt)))) > 0,
    );
  }

  /** A new password makes every other outstanding link of the user worthless. */
  async function retireTokensOf({ userId, at }: { userId: number; at: Date }): Promise<void> {
    await db.write(async () => {
      await db.update(t.passwordTokens).set({ usedAt: at }).where(and(eq(t.passwordTokens.userId, userId), isNull(t.passwordTokens.usedAt)));
    });
  }

  return { passwordOf, setPassword, hasPassword, insertSession, findSession, touchSession, deleteSession, deleteSessionsOf, deleteStaleSessions, insertToken, findToken, useToken, retireTokensOf };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
