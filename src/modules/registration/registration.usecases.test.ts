import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/config.schema.js';
import { openDatabase } from '../../shared/db.js';
import { createCustomersRepository } from '../customers/customers.repository.js';
import { seedCustomerDomains } from '../customers/customers.usecases.js';
import { createOutboxRepository } from '../outbox/outbox.repository.js';
import { createRegistration } from './registration.usecases.js';

const config = configSchema.parse({
  imap: { host: '127.0.0.1', user: 'help@cloudsoft.test' },
  smtp: { host: '127.0.0.1' },
  support: { address: 'help@cloudsoft.test', customerDomains: ['acme.test'], signupHelpAddress: 'support@cloudsoft.test' },
  http: { publicUrl: 'https://support.cloudsoft.test/' },
  limits: { signupsPerHour: 3, signupsPerHourPerIp: 5, verificationLinkHours: 24 },
});

function setup() {
  const db = openDatabase({ path: ':memory:' });
  let now = new Date('2026-11-25T09:00:00Z');
  seedCustomerDomains({ db, domains: ['acme.test'], at: now });
  const released: string[] = [];
  const registration = createRegistration({ db, config, clock: { now: () => now }, intake: { releaseHeld: async ({ email }) => (released.push(email), []) } });
  const outbox = createOutboxRepository({ db });
  const links = () => outbox.list().flatMap((item) => (item.payload.kind === 'email' ? [/https:\/\/\S+token=(\S+)/.exec(item.payload.mail.text)?.[1] as string] : []));
  return { registration, outbox, links, released, customers: createCustomersRepository({ db }), advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('self-registration', () => {
  it('creates a pending user and mails a single-use link; the link verifies once and releases held mail', async () => {
    const { registration, links, customers, released } = setup();
    expect(registration.signUp({ name: 'Dana', email: ' Dana@ACME.test ', ip: '192.0.2.1' })).toEqual({ kind: 'sent', email: 'dana@acme.test' });
    expect(customers.findUser('dana@acme.test')).toMatchObject({ status: 'pending', name: 'Dana' });
    const [token] = links();
    expect(await registration.verify({ token: token as string })).toMatchObject({ kind: 'verified', email: 'dana@acme.test' });
    expect(customers.findUser('dana@acme.test')).toMatchObject({ status: 'verified' });
    expect(released).toEqual(['dana@acme.test']);
    expect(await registration.verify({ token: token as string })).toEqual({ kind: 'used' });
  });

  it('refuses addresses outside the approved domains and invalid input, sending nothing', () => {
    const { registration, outbox } = setup();
    expect(registration.signUp({ name: 'Zed', email: 'zed@unknown.test', ip: '192.0.2.1' })).toEqual({ kind: 'domain-not-approved', email: 'zed@unknown.test', domain: 'unknown.test' });
    expect(registration.signUp({ name: '', email: 'nope', ip: '192.0.2.1' })).toMatchObject({ kind: 'invalid', problems: { name: expect.any(String), email: expect.any(String) } });
    expect(outbox.list()).toEqual([]);
  });

  it('expires a link after verificationLinkHours', async () => {
    const { registration, links, advance } = setup();
    registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' });
    advance(24 * 3_600_000);
    expect(await registration.verify({ token: links()[0] as string })).toEqual({ kind: 'expired' });
  });

  it('limits sign-ups per address and per IP within an hour, then allows them again', () => {
    const { registration, advance } = setup();
    const kinds = Array.from({ length: 4 }, () => registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' }).kind);
    expect(kinds).toEqual(['sent', 'sent', 'sent', 'rate-limited']);
    // The fifth request from that IP (limit 5) is still served; the sixth is not, whatever the address.
    expect(registration.signUp({ name: 'Eve', email: 'eve@acme.test', ip: '192.0.2.1' }).kind).toBe('sent');
    expect(registration.signUp({ name: 'Frank', email: 'frank@acme.test', ip: '192.0.2.1' }).kind).toBe('rate-limited');
    expect(registration.signUp({ name: 'Frank', email: 'frank@acme.test', ip: '192.0.2.9' }).kind).toBe('sent');
    advance(3_600_001);
    expect(registration.signUp({ name: 'Dana', email: 'dana@acme.test', ip: '192.0.2.1' }).kind).toBe('sent');
  });
});
