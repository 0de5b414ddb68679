import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { asyncRepository, type Db } from '../../shared/db.js';
import { users } from '../customers/customers.tables.js';
import { passwords, passwordTokens, sessions } from './accounts.tables.js';

export type SessionRow = typeof sessions.$inferSelect;
export type PasswordTokenRow = typeof passwordTokens.$inferSelect;
export type AccountUser = typeof users.$inferSelect;

/** Queries only; callers own the transaction. */
export function createAccountsRepository({ db }: { db: Db }) {
  function passwordOf(userId: number): string | undefined {
    return db.select({ hash: passwords.hash }).from(passwords).where(eq(passwords.userId, userId)).get()?.hash;
  }

  function setPassword({ userId, hash, at }: { userId: number; hash: string; at: Date }): void {
    db.insert(passwords).values({ userId, hash, changedAt: at }).onConflictDoUpdate({ target: passwords.userId, set: { hash, changedAt: at } }).run();
  }

  function hasPassword(userId: number): boolean {
    return passwordOf(userId) !== undefined;
  }

  function insertSession({ idHash, userId, at }: { idHash: string; userId: number; at: Date }): void {
    db.insert(sessions).values({ idHash, userId, createdAt: at, lastSeenAt: at }).run();
  }

  /** The session and its user, in one query. */
  function findSession(idHash: string): { session: SessionRow; user: AccountUser } | undefined {
    return db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.idHash, idHash)).get();
  }

  function touchSession({ idHash, at }: { idHash: string; at: Date }): void {
    db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.idHash, idHash)).run();
  }

  function deleteSession(idHash: string): void {
    db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
  }

  function deleteSessionsOf(userId: number): number {
    return db.delete(sessions).where(eq(sessions.userId, userId)).run().changes;
  }

  /** Sessions past either limit, whoever they belong to (a sweep keeps the table small). */
  function deleteStaleSessions({ idleBefore, createdBefore }: { idleBefore: Date; createdBefore: Date }): number {
    return db
      .delete(sessions)
      .where(or(lt(sessions.lastSeenAt, idleBefore), lt(sessions.createdAt, createdBefore)))
      .run().changes;
  }

  function insertToken(row: Omit<PasswordTokenRow, 'usedAt'>): void {
    db.insert(passwordTokens).values(row).run();
  }

  function findToken(tokenHash: string): PasswordTokenRow | undefined {
    return db.select().from(passwordTokens).where(eq(passwordTokens.tokenHash, tokenHash)).get();
  }

  /** Marks the link used; false when it already was (a second click, a concurrent request). */
  function useToken({ tokenHash, at }: { tokenHash: string; at: Date }): boolean {
    return db.update(passwordTokens).set({ usedAt: at }).where(and(eq(passwordTokens.tokenHash, tokenHash), isNull(passwordTokens.usedAt))).run().changes > 0;
  }

  /** A new password makes every other outstanding link of the user worthless. */
  function retireTokensOf({ userId, at }: { userId: number; at: Date }): void {
    db.update(passwordTokens).set({ usedAt: at }).where(and(eq(passwordTokens.userId, userId), isNull(passwordTokens.usedAt))).run();
  }

  return asyncRepository(
    db,
    { passwordOf, setPassword, hasPassword, insertSession, findSession, touchSession, deleteSession, deleteSessionsOf, deleteStaleSessions, insertToken, findToken, useToken, retireTokensOf },
    ['setPassword', 'insertSession', 'touchSession', 'deleteSession', 'deleteSessionsOf', 'deleteStaleSessions', 'insertToken', 'useToken', 'retireTokensOf'],
  );
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
