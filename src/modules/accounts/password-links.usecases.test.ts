import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createLinkSealer, openSealedMail } from '../outbox/sealed-links.models.js';
import { requireMailTemplates } from '../templates/templates.loader.js';
import { createAccounts } from './accounts.usecases.js';
import { createPasswordLinks } from './password-links.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'] },
  http: { publicUrl: 'https://support.cloudsoft.test/' },
  accounts: { resetLinkMinutes: 30 },
});
const templates = requireMailTemplates({ dir: '' });
const KEY = randomBytes(32);
const PASSWORD = 'correct horse battery staple';
const MINUTE = 60_000;

async function setup() {
  const db = await openTestDatabase();
  onTestFinished(() => db.close());
  let now = new Date('2026-11-25T09:00:00Z');
  const clock = { now: () => now };
  await seedCustomerDomains({ db, domains: ['acme.test'], at: now });
  const sealer = createLinkSealer({ key: () => KEY });
  const accounts = createAccounts({ db, config, clock, commonPasswords: async () => new Set(['password1']) });
  const links = createPasswordLinks({ db, config, accounts, sealer, templates, clock });
  const customers = createCustomersRepository({ db });
  const { user } = await customers.upsertUser({ email: 'dana@acme.test', name: 'Dana', status: 'verified', at: now });
  const hash = await accounts.hashPassword(PASSWORD);
  await db.transaction(() => accounts.storePassword({ userId: user.id, hash, at: now }));
  const outbox = createOutboxRepository({ db });
  /** The token of the newest reset mail, as the SMTP server would get it (the worker opens the sealed link). */
  const lastLink = async () => {
    const mails = (await outbox.list()).flatMap((item) => (item.payload.kind === 'email' && item.payload.sealed ? [openSealedMail(item.payload.mail, item.payload.sealed, sealer)] : []));
    return /https:\/\/support\.cloudsoft\.test\/reset\?token=([A-Za-z0-9_-]+)/.exec(mails.at(-1)?.text ?? '')?.[1] as string;
  };
  const signIn = (password: string) => accounts.login({ email: 'dana@acme.test', password, ip: '192.0.2.1' });
  return { db, links, accounts, sealer, lastLink, signIn, userId: user.id, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('password links (in-memory SQLite, real migrations, a test clock)', () => {
  it('sets the password through a reset link used just before resetLinkMinutes have passed', async () => {
    const { links, lastLink, signIn, advance } = await setup();
    expect(await links.requestReset({ email: 'Dana@ACME.test', ip: '192.0.2.1' })).toBe('sent');
    const token = await lastLink();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    advance(29 * MINUTE + 59_000);
    expect(await links.linkState(token)).toEqual({ kind: 'valid', email: 'dana@acme.test', name: 'Dana', purpose: 'reset' });
    expect(await links.setByLink({ token, password: 'a brand new passphrase' })).toMatchObject({ kind: 'done', user: { email: 'dana@acme.test' } });
    expect(await signIn('a brand new passphrase')).toMatchObject({ kind: 'ok' });
    expect(await signIn(PASSWORD)).toEqual({ kind: 'wrong' });
  });

  it('refuses a reset link from the moment resetLinkMinutes have passed, and leaves the password as it was', async () => {
    const { links, lastLink, signIn, advance } = await setup();
    expect(await links.requestReset({ email: 'dana@acme.test', ip: '192.0.2.1' })).toBe('sent');
    const token = await lastLink();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    advance(30 * MINUTE);
    expect(await links.linkState(token)).toEqual({ kind: 'expired' });
    expect(await links.setByLink({ token, password: 'a brand new passphrase' })).toEqual({ kind: 'expired' });
    expect(await signIn('a brand new passphrase')).toEqual({ kind: 'wrong' });
    expect(await signIn(PASSWORD)).toMatchObject({ kind: 'ok' });
  });

  it('keeps a welcome link valid past the reset lifetime, until welcomeLinkHours (72 by default)', async () => {
    const { db, links, sealer, userId, advance } = await setup();
    const { sealed } = await db.transaction(() => links.issueLink({ userId, purpose: 'welcome', at: new Date('2026-11-25T09:00:00Z') }));
    const token = sealer.unseal(sealed[0]?.box as string);
    advance(31 * MINUTE);
    expect(await links.linkState(token)).toMatchObject({ kind: 'valid', purpose: 'welcome' });
    advance(72 * 60 * MINUTE - 31 * MINUTE);
    expect(await links.linkState(token)).toEqual({ kind: 'expired' });
  });
});
