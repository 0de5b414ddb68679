import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { newSecretToken, sha256Hex } from '../../shared/secret-token.js';
import { normalizeEmail } from '../customers/customers.models.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { domainOf } from '../desk/address.models.js';
import { portalBaseUrl } from '../desk/portal-url.models.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import { renderPasswordReset } from './account-mail.models.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { sealSecrets, type LinkSealer, type SealedSecret } from '../outbox/sealed-links.models.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import type { Accounts, SignedIn } from './accounts.usecases.js';

export type LinkPurpose = 'reset' | 'welcome';
export type LinkState = { kind: 'valid'; email: string; name: string; purpose: LinkPurpose } | { kind: 'unknown' | 'used' | 'expired' };
export type SetByLinkResult = { kind: 'done'; sessionId: string; user: SignedIn } | { kind: 'invalid-password'; problem: string } | { kind: 'unknown' | 'used' | 'expired' };

const HOUR_MS = 3_600_000;

/**
 * Links that set a password: `/reset` (asked for on the portal, 30 minutes) and the welcome of `users
 * add|import --welcome` (longer). Single use, stored as sha256, and queued in the outbox only sealed: the
 * mail row holds a placeholder where the token goes (outbox/sealed-links.models).
 */
export function createPasswordLinks({
  db,
  config,
  accounts,
  sealer,
  templates,
  clock = systemClock,
  logger = createSilentLogger(),
  newMessageId = () => randomUUID(),
}: {
  db: Db;
  config: Pick<Config, 'accounts' | 'support' | 'http' | 'limits'>;
  accounts: Accounts;
  sealer: LinkSealer;
  templates: MailTemplates;
  clock?: Clock;
  logger?: Logger;
  newMessageId?: () => string;
}) {
  const customers = createCustomersRepository({ db });
  const outbox = createOutboxRepository({ db });
  const rates = createRateLimitRepository({ db });
  const support = { address: config.support.address, name: config.support.name };
  const supportDomain = domainOf(config.support.address) || 'localhost';
  const helpAddress = config.support.signupHelpAddress || config.support.address;
  const lifetimeMs = (purpose: LinkPurpose) => (purpose === 'reset' ? config.accounts.resetLinkMinutes * 60_000 : config.accounts.welcomeLinkHours * HOUR_MS);

  /** A new link for the user, for a mail the caller queues: the URL with a placeholder, and the sealed token. Inside a transaction. */
  async function issueLink({ userId, purpose, at }: { userId: number; purpose: LinkPurpose; at: Date }): Promise<{ url: string; sealed: SealedSecret[] }> {
    const { token, tokenHash } = newSecretToken();
    await accounts.repository.insertToken({ tokenHash, userId, purpose, expiresAt: new Date(at.getTime() + lifetimeMs(purpose)), createdAt: at });
    const { placeholders, sealed } = sealSecrets(sealer, [token]);
    return { url: `${portalBaseUrl(config.http)}/reset?token=${placeholders[0]}`, sealed };
  }

  async function queue(mail: OutboundMail, sealed: SealedSecret[], effectKey: string, at: Date): Promise<void> {
    await outbox.enqueue({ effectKey, ticketId: null, payload: { kind: 'email', mail, sealed }, at });
  }

  /** The mail of `/reset`: a link for a verified user; nothing for anyone else (the page answers the same). Inside a transaction. */
  async function queueResetMail({ email, at }: { email: string; at: Date }): Promise<boolean> {
    const user = await customers.findUser(email);
    if (!user || !accounts.signedInOf(user)) return false;
    const { url, sealed } = await issueLink({ userId: user.id, purpose: 'reset', at });
    const mail = renderPasswordReset({ to: user.email, link: url, expiresMinutes: config.accounts.resetLinkMinutes, support, helpAddress, messageId: `reset.${newMessageId()}@${supportDomain}`, templates });
    await queue(mail, sealed, `reset-mail:${mail.messageId}`, at);
    return true;
  }

  /**
   * `/reset` POST: one answer for every address. Limited per client (signupsPerHourPerIp) and per address
   * (signupsPerHour), so the form cannot mail-bomb anyone; only the client's own limit shows in the answer.
   * The limits are counted and recorded in the same transaction as the mail is queued.
   */
  async function requestReset({ email: rawEmail, ip }: { email: string; ip: string }): Promise<'sent' | 'rate-limited'> {
    const email = normalizeEmail(rawEmail).slice(0, 254);
    const now = clock.now();
    return db.transaction(async (): Promise<'sent' | 'rate-limited'> => {
      if (!(await rates.take({ bucket: 'reset-ip', key: ip, limit: { limit: config.limits.signupsPerHourPerIp, windowMs: HOUR_MS }, now }))) return 'rate-limited';
      if (!(await rates.take({ bucket: 'reset-address', key: email, limit: { limit: config.limits.signupsPerHour, windowMs: HOUR_MS }, now }))) return 'sent';
      if (await queueResetMail({ email, at: now })) logger.info({ email }, 'password link queued');
      return 'sent';
    });
  }

  /** What the page shows for a link (nothing changes); setByLink asks again inside its transaction. */
  async function linkState(token: string): Promise<LinkState> {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await accounts.repository.findToken(sha256Hex(token)) : undefined;
    if (!row) return { kind: 'unknown' };
    if (row.usedAt) return { kind: 'used' };
    if (clock.now() >= row.expiresAt) return { kind: 'expired' };
    const user = await customers.findUserById(row.userId);
    if (!user || !accounts.signedInOf(user)) return { kind: 'unknown' };
    return { kind: 'valid', email: user.email, name: user.name, purpose: row.purpose };
  }

  /**
   * Sets the password through a link (once), ends every other session, and signs the user in. The password is
   * checked and hashed first, outside the transaction; the link is then checked again and used in one.
   */
  async function setByLink({ token, password }: { token: string; password: string }): Promise<SetByLinkResult> {
    const before = await linkState(token);
    if (before.kind !== 'valid') return before;
    const problem = await accounts.problemOf({ password, email: before.email });
    if (problem) return { kind: 'invalid-password', problem };
    const hash = await accounts.hashPassword(password);
    return db.transaction(async (): Promise<SetByLinkResult> => {
      const now = clock.now();
      const state = await linkState(token);
      if (state.kind !== 'valid') return state;
      const tokenHash = sha256Hex(token);
      const row = await accounts.repository.findToken(tokenHash);
      const user = row ? await customers.findUserById(row.userId) : undefined;
      const signedIn = user ? accounts.signedInOf(user) : undefined;
      if (!row || !signedIn || !(await accounts.repository.useToken({ tokenHash, at: now }))) return { kind: 'used' };
      await accounts.storePassword({ userId: row.userId, hash, at: now });
      return { kind: 'done', sessionId: await accounts.startSession({ userId: row.userId, at: now }), user: signedIn };
    });
  }

  return { issueLink, queueResetMail, requestReset, linkState, setByLink, helpAddress };
}

export type PasswordLinks = ReturnType<typeof createPasswordLinks>;
