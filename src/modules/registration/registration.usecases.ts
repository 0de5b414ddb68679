import { withoutTrailingSlashes } from '../../shared/url.js';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.schema.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { isEmail, normalizeEmail } from '../customers/customers.models.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createRateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { renderVerificationMail } from './registration-mail.models.js';
import { publicUrlOf } from './registration-text.models.js';
import { requireMailTemplates, type MailTemplates } from '../templates/templates.loader.js';
import { hashToken, newVerificationToken, tokenState } from './registration.models.js';
import { domainOf } from '../desk/address.models.js';

export type SignUpResult =
  | { kind: 'sent'; email: string }
  | { kind: 'already-verified'; email: string }
  | { kind: 'invalid'; problems: { name?: string; email?: string } }
  | { kind: 'domain-not-approved'; email: string; domain: string }
  | { kind: 'disabled'; email: string }
  | { kind: 'rate-limited'; email: string };

export type VerifyResult = { kind: 'verified'; email: string; released: number; ticketRefs: string[] } | { kind: 'unknown' | 'used' | 'expired' };

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
 * expiring link; following it verifies the address and turns the sender's held mail into tickets.
 */
export function createRegistration({
  db,
  config,
  intake,
  clock = systemClock,
  logger = createSilentLogger(),
  newMessageId = () => randomUUID(),
  templates = requireMailTemplates({ dir: config.templates.dir }),
}: {
  db: Db;
  config: Pick<Config, 'support' | 'http' | 'limits' | 'templates'>;
  intake: HeldMailRelease;
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

  function signUp({ name, email: rawEmail, ip }: { name: string; email: string; ip: string }): SignUpResult {
    const email = normalizeEmail(rawEmail);
    const cleanName = name.trim().slice(0, 200);
    const problems: { name?: string; email?: string } = {};
    if (!cleanName) problems.name = 'Please enter your name.';
    if (!isEmail(email)) problems.email = 'Please enter a valid email address.';
    if (problems.name || problems.email) return { kind: 'invalid', problems };
    const now = clock.now();
    return db.transaction((): SignUpResult => {
      // Per IP first, so one client cannot probe many addresses; then per address, so nobody mail-bombs one.
      if (!rates.take({ bucket: 'signup-ip', key: ip, limit: { limit: config.limits.signupsPerHourPerIp, windowMs: HOUR_MS }, now })) return { kind: 'rate-limited', email };
      if (!customers.isApprovedDomain(domainOf(email))) return { kind: 'domain-not-approved', email, domain: domainOf(email) };
      const existing = customers.findUser(email);
      if (existing?.status === 'verified') return { kind: 'already-verified', email };
      if (existing?.status === 'disabled') return { kind: 'disabled', email };
      if (!rates.take({ bucket: 'signup-address', key: email, limit: { limit: config.limits.signupsPerHour, windowMs: HOUR_MS }, now })) return { kind: 'rate-limited', email };
      customers.upsertUser({ email, name: cleanName, status: 'pending', at: now });
      const { token, tokenHash } = newVerificationToken();
      const expiresAt = new Date(now.getTime() + config.limits.verificationLinkHours * HOUR_MS);
      customers.insertToken({ tokenHash, email, expiresAt, at: now });
      const link = `${withoutTrailingSlashes(publicUrlOf(config.http))}/verify?token=${token}`;
      const mail = renderVerificationMail({
        to: email,
        name: cleanName,
        link,
        expiresHours: config.limits.verificationLinkHours,
        support: { address: config.support.address, name: config.support.name },
        helpAddress,
        messageId: `verify.${newMessageId()}@${supportDomain}`,
        templates,
      });
      outbox.enqueue({ effectKey: `verify-mail:${tokenHash}`, ticketId: null, payload: { kind: 'email', mail }, at: now });
      logger.info({ email }, 'sign-up: verification link queued');
      return { kind: 'sent', email };
    }, { behavior: 'immediate' });
  }

  async function verify({ token }: { token: string }): Promise<VerifyResult> {
    const tokenHash = hashToken(token);
    const now = clock.now();
    const outcome = db.transaction((): VerifyResult => {
      const row = customers.findToken(tokenHash);
      const state = tokenState(row, now);
      if (state !== 'valid' || !row) return { kind: state === 'valid' ? 'unknown' : state };
      if (!customers.useToken({ tokenHash, at: now })) return { kind: 'used' };
      const user = customers.findUser(row.email);
      if (!user || user.status === 'disabled') return { kind: 'unknown' };
      customers.setStatus({ email: row.email, status: 'verified', at: now });
      return { kind: 'verified', email: row.email, released: 0, ticketRefs: [] };
    }, { behavior: 'immediate' });
    if (outcome.kind !== 'verified') return outcome;
    const released = await intake.releaseHeld({ email: outcome.email });
    const ticketRefs = released.flatMap((result) => (result.ticketRef && result.outcome === 'ticket' ? [result.ticketRef] : []));
    logger.info({ email: outcome.email, released: released.length, ticketRefs }, 'address verified; held mail released');
    return { ...outcome, released: released.length, ticketRefs };
  }

  return { signUp, verify, helpAddress };
}

export type Registration = ReturnType<typeof createRegistration>;
