import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { openTestDatabase } from '../../../test/support/test-database.js';
import { createAccounts } from '../accounts/accounts.usecases.js';
import { createPasswordLinks } from '../accounts/password-links.usecases.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createLinkSealer, openSealedMail } from '../outbox/sealed-links.models.js';
import { requireMailTemplates } from '../templates/templates.loader.js';
import { createRegistration } from './registration.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], signupHelpAddress: 'support@cloudsoft.test' },
  http: { publicUrl: 'https://support.cloudsoft.test/' },
  limits: { signupsPerHour: 3, signupsPerHourPerIp: 5, verificationLinkHours: 24 },
});
const templates = requireMailTemplates({ dir: '' });
const PASSWORD = 'correct horse battery staple';

async function setup() {
  const db = await openTestDatabase();
  onTestFinished(() => db.close());
  let now = new Date('2026-11-25T09:00:00Z');
  const clock = { now: () => now };
  await seedCustomerDomains({ db, domains: ['acme.test'], at: now });
  const released: string[] = [];
  const sealer = createLinkSealer({ key: () => KEY });
  const accounts = createAccounts({ db, config, clock, commonPasswords: async () => new Set(['password1', 'qwertyuiop']) });
  const passwordLinks = createPasswordLinks({ db, config, accounts, sealer, templates, clock });
  const registration = createRegistration({ db, config, clock, accounts, passwordLinks, sealer, templates, intake: { releaseHeld: async ({ email }) => (released.push(email), []) } });
  const outbox = createOutboxRepository({ db });
  /** Mails as the SMTP server would get them: the worker opens the sealed links just before sending. */
  const sent = async () => (await outbox.list()).flatMap((item) => (item.payload.kind === 'email' ? [{ stored: item.payloadJson, mail: item.payload.sealed ? openSealedMail(item.payload.mail, item.payload.sealed, sealer) : item.payload.mail }] : []));
  const links = async () => (await sent()).flatMap(({ mail }) => [/https:\/\/\S+\/verify\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1] ?? []].flat());
  return { registration, accounts, outbox, sent, links, released, customers: createCustomersRepository({ db }), advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}
const KEY = randomBytes(32);

describe('self-registration', () => {
  it('mails a single-use link that only a POST with a password uses: it verifies, signs in and releases held mail once', async () => {
    const { registration, accounts, links, customers, released } = await setup();
    expect(await registration.signUp({ name: 'Dana', email: ' Dana@ACME.test ', ip: '192.0.2.1' })).toEqual({ kind: 'sent', email: 'dana@acme.test' });
    expect(await customers.findUser('dana@acme.test')).toMatchObject({ status: 'pending', name: 'Dana' });
    const [token] = await links();
    // What a link scanner's GET sees: the page, and nothing changes.
    expect(await registration.verificationState(token as string)).toEqual({ kind: 'valid', email: 'dana@acme.test', name: 'Dana' });
    expect(await customers.findUser('dana@acme.test')).toMatchObject({ status: 'pending' });
    const result = await registration.verify({ token: token as string, password: PASSWORD, name: 'Dana Scully' });
    expect(result).toMatchObject({ kind: 'verified', email: 'dana@acme.test', user: { email: 'dana@acme.test', role: 'member' } });
    expect(await customers.findUser('dana@acme.test')).toMatchObject({ status: 'verified', name: 'Dana Scully' });
    expect(await accounts.sessionOf(result.kind === 'verified' ? result.sessionId : '')).toMatchObject({ email: 'dana@acme.test' });
    expect(await accounts.login({ email: 'dana@acme.test', password: PASSWORD, ip: '192.0.2.1' })).toMatchObject({ kind: 'ok' });
    expect(released).toEqual(['dana@acme.test']);
    expect(await registration.verify({ token: token as string, password: PASSWORD, name: 'Dana' })).toEqual({ kind: 'used' });
  });

  it('keeps the verification link out of the outbox in clear: the stored mail holds a placeholder and a sealed token', async () => {
    const { registration, outbox, links } = await setup();
    await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' });
    const [token] = await links();
    const [row] = await outbox.list();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row?.payloadJson).not.toContain(token);
    expect(row?.payloadJson).toContain('/verify?token=[[sealed-0]]');
  });

  it('refuses a common or short password without using the link', async () => {
    const { registration, links, customers } = await setup();
    await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' });
    const [token] = await links();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await registration.verify({ token: token as string, password: 'password1', name: 'Dana' })).toMatchObject({ kind: 'invalid', problems: { password: expect.stringContaining('common') } });
    expect(await registration.verify({ token: token as string, password: 'short', name: '' })).toMatchObject({ kind: 'invalid', problems: { name: expect.any(String), password: expect.stringContaining('at least 8') } });
    expect(await customers.findUser('dana@acme.test')).toMatchObject({ status: 'pending' });
    expect(await registration.verify({ token: token as string, password: PASSWORD, name: 'Dana' })).toMatchObject({ kind: 'verified' });
  });

  it('answers every well-formed address the same, and says the rest in the mail: refused domain, known account, disabled user', async () => {
    const { registration, sent, customers } = await setup();
    await customers.upsertUser({ email: 'erin@acme.test', name: 'Erin', status: 'verified', at: new Date() });
    await customers.upsertUser({ email: 'gone@acme.test', name: 'Gone', status: 'disabled', at: new Date() });
    const answers = [];
    for (const email of ['zed@unknown.test', 'erin@acme.test', 'gone@acme.test', 'new@acme.test']) answers.push(await registration.signUp({ name: 'Mallory <a href=x>', email, ip: '192.0.2.1' }));
    expect(answers.map((answer) => answer.kind)).toEqual(['sent', 'sent', 'sent', 'sent']);
    const mails = (await sent()).map(({ mail }) => ({ to: mail.to[0], subject: mail.subject, text: mail.text }));
    expect(mails.map((mail) => [mail.to, mail.subject])).toEqual([
      ['zed@unknown.test', 'Your registration at our support desk'],
      ['erin@acme.test', 'Your account at our support desk'],
      ['new@acme.test', 'Confirm your address for support'],
    ]);
    expect(mails[0]?.text).toContain('unknown.test is not one of them');
    expect(mails[1]?.text).toMatch(/https:\/\/support\.cloudsoft\.test\/reset\?token=[A-Za-z0-9_-]{43}/);
    // The name typed on the form goes to nobody: it is not the recipient's own words.
    for (const mail of mails) expect(mail.text).not.toContain('Mallory');
    expect(await customers.findUser('zed@unknown.test')).toBeUndefined();
  });

  it('does not rename a pending sign-up when someone signs the address up again', async () => {
    const { registration, customers, links } = await setup();
    await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' });
    expect(await registration.signUp({ name: 'Hacked Name', email: 'dana@acme.test', ip: '192.0.2.7' })).toEqual({ kind: 'sent', email: 'dana@acme.test' });
    expect(await customers.findUser('dana@acme.test')).toMatchObject({ name: 'Dana', status: 'pending' });
    expect(await links()).toHaveLength(2);
  });

  it('expires a link after verificationLinkHours', async () => {
    const { registration, links, advance } = await setup();
    await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' });
    const [token] = await links();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    advance(24 * 3_600_000);
    expect(await registration.verificationState(token as string)).toEqual({ kind: 'expired' });
    expect(await registration.verify({ token: token as string, password: PASSWORD, name: 'Dana' })).toEqual({ kind: 'expired' });
  });

  it('limits sign-ups per client (the only different answer) and per address (still "sent", no more mail)', async () => {
    const { registration, advance, sent } = await setup();
    const kinds = [];
    for (let round = 0; round < 4; round += 1) kinds.push((await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' })).kind);
    expect(kinds).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(await sent()).toHaveLength(3);
    // The fifth request from that client (limit 5) is still served; the sixth is not, whatever the address.
    expect((await registration.signUp({ name: 'Eve', email: 'eve@acme.test', ip: '192.0.2.1' })).kind).toBe('sent');
    expect((await registration.signUp({ name: 'Frank', email: 'frank@acme.test', ip: '192.0.2.1' })).kind).toBe('rate-limited');
    expect((await registration.signUp({ name: 'Frank', email: 'frank@acme.test', ip: '192.0.2.9' })).kind).toBe('sent');
    advance(3_600_001);
    expect((await registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' })).kind).toBe('sent');
  });
});
