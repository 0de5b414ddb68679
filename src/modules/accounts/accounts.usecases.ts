import { randomBytes } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { newSecretToken, sha256Hex } from '../../shared/secret-token.js';
import { normalizeEmail } from '../customers/customers.models.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { domainOf } from '../desk/address.models.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { createAccountsRepository, type AccountUser } from './accounts.repository.js';
import { createArgon2Hasher, type PasswordHasher } from './drivers/argon2.password-hasher-driver.js';
import { loadCommonPasswords } from './drivers/zxcvbn.password-list-driver.js';
import { passwordProblem } from './password.models.js';
import { needsTouch, sessionState } from './sessions.models.js';

/** Who is signed in: what the portal decides with. An engineer is a user of an engineer domain with that role. */
export type SignedIn = { userId: number; email: string; name: string; role: 'member' | 'manager' | 'engineer'; organisationId: number | null };

export type LoginResult = { kind: 'ok'; sessionId: string; user: SignedIn } | { kind: 'wrong' } | { kind: 'throttled' };

const LOGIN_ACCOUNT = 'login-account';
const LOGIN_IP = 'login-ip';

/**
 * Portal accounts: passwords (argon2id), sign-in with throttling, server-side sessions. A signed-in user is a
 * verified user with a password; the engineer role counts only while the address's domain is one of
 * support.engineerDomains, so taking a domain out of the config takes its people's rights away at once.
 */
export function createAccounts({
  db,
  config,
  hasher = createArgon2Hasher(),
  commonPasswords = loadCommonPasswords,
  clock = systemClock,
  logger = createSilentLogger(),
}: {
  db: Db;
  config: Pick<Config, 'accounts' | 'support'>;
  hasher?: PasswordHasher;
  commonPasswords?: () => Promise<Set<string>>;
  clock?: Clock;
  logger?: Logger;
}) {
  const repository = createAccountsRepository({ db });
  const customers = createCustomersRepository({ db });
  const rates = createRateLimitRepository({ db });
  const limits = { idleMs: config.accounts.sessionIdleMinutes * 60_000, maxMs: config.accounts.sessionMaxHours * 3_600_000 };
  const throttleMs = config.accounts.loginThrottleMinutes * 60_000;
  let common: Promise<Set<string>> | undefined;
  // Unknown addresses are checked against this, so they cost the same time as a known one (no enumeration by timing).
  let decoy: Promise<string> | undefined;

  function signedInOf(user: AccountUser): SignedIn | undefined {
    if (user.status !== 'verified') return undefined;
    const engineerDomain = config.support.engineerDomains.includes(domainOf(user.email));
    if (user.role === 'engineer' ? !engineerDomain : engineerDomain) return undefined;
    return { userId: user.id, email: user.email, name: user.name, role: user.role, organisationId: user.organisationId };
  }

  /** Why this password may not be used, in a sentence for the form; undefined when it is fine. */
  async function problemOf({ password, email }: { password: string; email: string }): Promise<string | undefined> {
    common ??= commonPasswords();
    return passwordProblem({ password, email, common: await common });
  }

  function hashPassword(password: string): Promise<string> {
    return hasher.hash(password);
  }

  /**
   * Stores a new password hash (computed before, outside the transaction: hashing must never hold the write
   * lock) and ends every session of the user: whoever knew the old password is signed out everywhere. Inside
   * the caller's transaction (`await db.transaction(async () => ...)`), so all of it commits or none does.
   */
  async function storePassword({ userId, hash, at }: { userId: number; hash: string; at: Date }): Promise<void> {
    await repository.setPassword({ userId, hash, at });
    await repository.retireTokensOf({ userId, at });
    const ended = await repository.deleteSessionsOf(userId);
    const user = await customers.findUserById(userId);
    if (user) await rates.clear({ bucket: LOGIN_ACCOUNT, key: user.email });
    logger.info({ userId, endedSessions: ended }, 'password set');
  }

  /** A new session (a new id at every sign-in: a session id known before it never becomes valid). Inside a transaction. */
  async function startSession({ userId, at }: { userId: number; at: Date }): Promise<string> {
    const { token, tokenHash } = newSecretToken({ bytes: 16 });
    await repository.insertSession({ idHash: tokenHash, userId, at });
    return token;
  }

  /**
   * The signed-in user of a session cookie, or undefined (unknown, idle, too old, user no longer allowed). Not in
   * a transaction (every request asks): deleting a dead session and touching a live one are single writes that
   * may find the row already gone, which changes nothing.
   */
  async function sessionOf(sessionId: string): Promise<SignedIn | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(sessionId)) return undefined;
    const idHash = sha256Hex(sessionId);
    const found = await repository.findSession(idHash);
    if (!found) return undefined;
    const now = clock.now();
    const signedIn = signedInOf(found.user);
    if (sessionState(found.session, now, limits) !== 'valid' || !signedIn) {
      await repository.deleteSession(idHash);
      return undefined;
    }
    if (needsTouch(found.session, now)) await repository.touchSession({ idHash, at: now });
    return signedIn;
  }

  async function endSession(sessionId: string): Promise<void> {
    await repository.deleteSession(sha256Hex(sessionId));
  }

  /**
   * Sign-in. The same answer for a wrong password, an unknown address, an address without a password and a
   * disabled user, each after one argon2 verification. Failures count per address (known or not) and per
   * client; past either limit the answer is `throttled` without looking at the password, until the window passes.
   * The argon2 check runs outside the transaction; inside it, the limits and the stored hash are read again,
   * so a password changed (or a limit reached) meanwhile is what decides, not what was read before the check.
   */
  async function login({ email: rawEmail, password, ip }: { email: string; password: string; ip: string }): Promise<LoginResult> {
    const email = normalizeEmail(rawEmail).slice(0, 254);
    const now = clock.now();
    const accountLimit = { limit: config.accounts.loginFailuresPerAccount, windowMs: throttleMs };
    const ipLimit = { limit: config.accounts.loginFailuresPerIp, windowMs: throttleMs };
    const throttled = async () => !(await rates.peek({ bucket: LOGIN_ACCOUNT, key: email, limit: accountLimit, now })) || !(await rates.peek({ bucket: LOGIN_IP, key: ip, limit: ipLimit, now }));
    if (await throttled()) {
      logger.warn({ ip }, 'sign-in refused: too many failures');
      return { kind: 'throttled' };
    }
    const user = await customers.findUser(email);
    const stored = user ? await repository.passwordOf(user.id) : undefined;
    decoy ??= hasher.hash(randomBytes(16).toString('hex'));
    const matches = await hasher.verify(stored ?? (await decoy), password.slice(0, 1024));
    return db.transaction(async (): Promise<LoginResult> => {
      if (await throttled()) {
        logger.warn({ ip }, 'sign-in refused: too many failures');
        return { kind: 'throttled' };
      }
      // The password was checked against `stored`: it signs in only if that is still the user's password.
      const current = user && stored !== undefined && matches ? await customers.findUser(email) : undefined;
      const still = current && current.id === user?.id && (await repository.passwordOf(current.id)) === stored;
      const signedIn = still ? signedInOf(current) : undefined;
      if (!signedIn) {
        await rates.take({ bucket: LOGIN_ACCOUNT, key: email, limit: accountLimit, now });
        await rates.take({ bucket: LOGIN_IP, key: ip, limit: ipLimit, now });
        return { kind: 'wrong' };
      }
      await rates.clear({ bucket: LOGIN_ACCOUNT, key: email });
      return { kind: 'ok', sessionId: await startSession({ userId: signedIn.userId, at: now }), user: signedIn };
    });
  }

  /** Deletes sessions past their limits (run with the other scheduled jobs). */
  async function sweepSessions(): Promise<number> {
    const now = clock.now().getTime();
    return repository.deleteStaleSessions({ idleBefore: new Date(now - limits.idleMs), createdBefore: new Date(now - limits.maxMs) });
  }

  return { problemOf, hashPassword, storePassword, startSession, sessionOf, endSession, login, sweepSessions, signedInOf, repository, sessionLimits: limits };
}

export type Accounts = ReturnType<typeof createAccounts>;
