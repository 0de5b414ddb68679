import { withoutTrailingSlashes } from '../../shared/url.js';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { Accounts, SignedIn } from '../accounts/accounts.usecases.js';
import type { PasswordLinks } from '../accounts/password-links.usecases.js';
import { isEmail, normalizeEmail } from '../customers/customers.models.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { domainOf } from '../desk/address.models.js';
import { portalBaseUrl } from '../desk/portal-url.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { sealSecrets, type LinkSealer } from '../outbox/sealed-links.models.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { renderSignupKnown, renderSignupRefused, renderVerificationMail } from './registration-mail.models.js';
import { publicUrlOf } from './registration-text.models.js';
import { hashToken, newVerificationToken, tokenState } from './registration.models.js';

/**
 * What the sign-up form answers: `sent` for every well-formed address, whatever it is (registered, approved or
 * not: the mail to that address says which), so the form tells nobody who has an account or which domains are
 * customers. Only the client's own limit (`rate-limited`) and malformed input are answered otherwise.
 */
export type SignUpResult = { kind: 'sent'; email: string } | { kind: 'invalid'; problems: { name?: string; email?: string } } | { kind: 'rate-limited' };

export type VerificationState = { kind: 'valid'; email: string; name: string } | { kind: 'unknown' | 'used' | 'expired' };
export type VerifyResult =
  | { kind: 'verified'; email: string; sessionId: string; user: SignedIn; released: number; ticketRefs: string[] }
  | { kind: 'invalid'; problems: { name?: string; password?: string } }
  | { kind: 'unknown' | 'used' | 'expired' };

const HOUR_MS = 3_600_000;

/**
 * Mail held until its sender verified: the pipeline (intake, above this module) passes its own release in,
 * so a verification turns the sender's held mail into tickets without registration knowing the pipeline.
 */
export type HeldMailRelease = {
  releaseHeld(args: { email: string }): Promise<Array<{ outcome: string; ticketRef: string | undefined }>>;
};

/**
 * Self-registration: a sign-up from an approved domain creates a pending user and mails a single-use,
 * expiring link to a page; its button (a POST, so link scanners that fetch every URL verify nothing) confirms
 * the address, sets the password, signs the user in and turns the sender's held mail into tickets.
 */
export function createRegistration({
  db,
  config,
  intake,
  accounts,
  passwordLinks,
  sealer,
  clock = systemClock,
  logger = createSilentLogger(),
  newMessageId = () => randomUUID(),
  templates = requireMailTemplates({ dir: config.templates.dir }),
}: {
  db: Db;
  config: Pick<Config, 'support' | 'http' | 'limits' | 'templates' | 'accounts'>;
  intake: HeldMailRelease;
  accounts: Accounts;
  passwordLinks: PasswordLinks;
  sealer: LinkSealer;
  clock?: Clock;
  logger?: Logger;
  newMessageId?: () => string;
  templates?: MailTemplates;
}) {
  const customers = createCustomersRepository({ db });
  const outbox = createOutboxRepository({ db });
  const rates = createRateLimitRepository({ db });
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';
  const helpAddress = config.support.signupHelpAddress || config.support.address;
  const support = { address: config.support.address, name: config.support.name };

  async function signUp({ name, email: rawEmail, ip }: { name: string; email: string; ip: string }): Promise<SignUpResult> {
    const email = normalizeEmail(rawEmail);
    const cleanName = name.trim().slice(0, 200);
    const problems: { name?: string; email?: string } = {};
    if (!cleanName) problems.name = 'Please enter your name.';
    if (!isEmail(email)) problems.email = 'Please enter a valid email address.';
    if (problems.name || problems.email) return { kind: 'invalid', problems };
    const now = clock.now();
    const messageId = (kind: string) => `${kind}.${newMessageId()}@${supportDomain}`;
    // The limits, the user looked up and what is written for them: one transaction, so two sign-ups at once
    // cannot both pass a limit or both create the pending user.
    return db.transaction(async (): Promise<SignUpResult> => {
      // Per client first, so one client cannot probe many addresses; then per address, so nobody mail-bombs one
      // (past it the answer stays `sent`: a different answer would tell that someone tried this address).
      if (!(await rates.take({ bucket: 'signup-ip', key: ip, limit: { limit: config.limits.signupsPerHourPerIp, windowMs: HOUR_MS }, now }))) return { kind: 'rate-limited' };
      if (!(await rates.take({ bucket: 'signup-address', key: email, limit: { limit: config.limits.signupsPerHour, windowMs: HOUR_MS }, now }))) return { kind: 'sent', email };
      const existing = await customers.findUser(email);
      if (existing?.status === 'disabled') {
        logger.info({ email }, 'sign-up of a disabled address: nothing sent');
        return { kind: 'sent', email };
      }
      if (existing?.status === 'verified') {
        const { url, sealed } = await passwordLinks.issueLink({ userId: existing.id, purpose: 'reset', at: now });
        const mail = renderSignupKnown({ to: email, loginUrl: `${portalBaseUrl(config.http)}/login`, link: url, expiresMinutes: config.accounts.resetLinkMinutes, support, helpAddress, messageId: messageId('signup-known'), templates });
        await outbox.enqueue({ effectKey: `signup-known:${mail.messageId}`, ticketId: null, payload: { kind: 'email', mail, sealed }, at: now });
        logger.info({ email }, 'sign-up of a registered address: sign-in help queued');
        return { kind: 'sent', email };
      }
      if (!(await customers.isApprovedDomain(domainOf(email)))) {
        const mail = renderSignupRefused({ to: email, domain: domainOf(email), support, helpAddress, messageId: messageId('signup-refused'), templates });
        await outbox.enqueue({ effectKey: `signup-refused:${mail.messageId}`, ticketId: null, payload: { kind: 'email', mail }, at: now });
        logger.info({ email }, 'sign-up from a domain that is not approved: refusal queued');
        return { kind: 'sent', email };
      }
      // A pending sign-up keeps the name it was created with: a second sign-up for the address cannot rename
      // it (the owner may correct the name on the verification page).
      if (!existing) await customers.upsertUser({ email, name: cleanName, status: 'pending', at: now });
      const { token, tokenHash } = newVerificationToken();
      await customers.insertToken({ tokenHash, email, expiresAt: new Date(now.getTime() + config.limits.verificationLinkHours * HOUR_MS), at: now });
      const { placeholders, sealed } = sealSecrets(sealer, [token]);
      const link = `${withoutTrailingSlashes(publicUrlOf(config.http))}/verify?token=${placeholders[0]}`;
      // Not the name typed on the form: whoever filled it in chose it, and the mail goes to the address's owner.
      const mail = renderVerificationMail({ to: email, name: '', link, expiresHours: config.limits.verificationLinkHours, support, helpAddress, messageId: messageId('verify'), templates });
      await outbox.enqueue({ effectKey: `verify-mail:${tokenHash}`, ticketId: null, payload: { kind: 'email', mail, sealed }, at: now });
      logger.info({ email }, 'sign-up: verification link queued');
      return { kind: 'sent', email };
    });
  }

  /** What the verification page shows for a token: nothing changes on GET (verify checks again in its transaction). */
  async function verificationState(token: string): Promise<VerificationState> {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await customers.findToken(hashToken(token)) : undefined;
    const state = tokenState(row, clock.now());
    if (state !== 'valid' || !row) return { kind: state === 'valid' ? 'unknown' : state };
    const user = await customers.findUser(row.email);
    if (!user || user.status === 'disabled') return { kind: 'unknown' };
    return { kind: 'valid', email: row.email, name: user.name };
  }

  /**
   * The verification page's button: confirms the address, sets the name and password, signs in, releases held
   * mail. The password is checked and hashed first, outside the transaction; the token is then checked and used
   * in one transaction with everything it allows; the held mail is released after it committed.
   */
  async function verify({ token, password, name }: { token: string; password: string; name: string }): Promise<VerifyResult> {
    const before = await verificationState(token);
    if (before.kind !== 'valid') return before;
    const cleanName = name.trim().slice(0, 200);
    const problems: { name?: string; password?: string } = {};
    if (!cleanName) problems.name = 'Please enter your name.';
    const passwordProblem = await accounts.problemOf({ password, email: before.email });
    if (passwordProblem) problems.password = passwordProblem;
    if (problems.name || problems.password) return { kind: 'invalid', problems };
    const hash = await accounts.hashPassword(password);
    const tokenHash = hashToken(token);
    const outcome = await db.transaction(async (): Promise<VerifyResult> => {
      const now = clock.now();
      const row = await customers.findToken(tokenHash);
      const state = tokenState(row, now);
      if (state !== 'valid' || !row) return { kind: state === 'valid' ? 'unknown' : state };
      if (!(await customers.useToken({ tokenHash, at: now }))) return { kind: 'used' };
      const user = await customers.findUser(row.email);
      if (!user || user.status === 'disabled') return { kind: 'unknown' };
      await customers.setStatus({ email: row.email, status: 'verified', at: now });
      await customers.setName({ email: row.email, name: cleanName });
      await accounts.storePassword({ userId: user.id, hash, at: now });
      const signedIn = accounts.signedInOf({ ...user, status: 'verified', name: cleanName });
      if (!signedIn) return { kind: 'unknown' };
      return { kind: 'verified', email: row.email, sessionId: await accounts.startSession({ userId: user.id, at: now }), user: signedIn, released: 0, ticketRefs: [] };
    });
    if (outcome.kind !== 'verified') return outcome;
    const released = await intake.releaseHeld({ email: outcome.email });
    const ticketRefs = released.flatMap((result) => (result.ticketRef && result.outcome === 'ticket' ? [result.ticketRef] : []));
    logger.info({ email: outcome.email, released: released.length, ticketRefs }, 'address verified; held mail released');
    return { ...outcome, released: released.length, ticketRefs };
  }

  return { signUp, verificationState, verify, helpAddress };
}

export type Registration = ReturnType<typeof createRegistration>;
