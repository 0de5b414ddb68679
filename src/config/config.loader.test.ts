import { describe, expect, it } from 'vitest';
import { envNameOf } from './config.keys.js';
import { applyEnvOverrides, validateConfig } from './config.loader.js';

const minimal = {
  imap: { host: 'imap.example.com', user: 'help@example.com' },
  smtp: { host: 'smtp.example.com' },
  support: { address: 'help@example.com' },
};

describe('configuration loading', () => {
  it('derives TICKETD_* names from camelCase key paths', () => {
    expect(envNameOf(['support', 'ticketPrefix'])).toBe('TICKETD_SUPPORT_TICKET_PREFIX');
    expect(envNameOf(['imap', 'password'])).toBe('TICKETD_IMAP_PASSWORD');
    expect(envNameOf(['limits', 'maxMessageBytes'])).toBe('TICKETD_LIMITS_MAX_MESSAGE_BYTES');
  });

  it('fills defaults for everything but the servers and the support address', () => {
    const result = validateConfig(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.support.ticketPrefix).toBe('CS');
    expect(result.config.imap).toMatchObject({ port: 993, secure: true, mailbox: 'INBOX' });
    expect(result.config.pager.kind).toBe('none');
  });

  it('lets the environment override numbers, booleans and comma-separated lists', () => {
    const raw = applyEnvOverrides(minimal, { TICKETD_IMAP_PORT: '1143', TICKETD_IMAP_SECURE: 'false', TICKETD_SUPPORT_CUSTOMER_DOMAINS: 'a.com, B.com' });
    const result = validateConfig(raw);
    expect(result).toMatchObject({ ok: true, config: { imap: { port: 1143, secure: false }, support: { customerDomains: ['a.com', 'b.com'] } } });
  });

  it('reports unknown keys, wrong types and missing sections with their paths', () => {
    const result = validateConfig({ ...minimal, imap: { ...minimal.imap, prot: 143 }, smtp: undefined, extra: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(paths).toContain('imap.prot: unknown key');
    expect(paths).toContain('extra: unknown key');
    expect(paths.some((path) => path.startsWith('smtp:'))).toBe(true);
  });

  it('rejects a bad ticket prefix and an invalid poll schedule', () => {
    const result = validateConfig({ ...minimal, support: { ...minimal.support, ticketPrefix: 'cs-' }, imap: { ...minimal.imap, pollCron: 'every minute' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path).sort()).toEqual(['imap.pollCron', 'support.ticketPrefix']);
  });

  it('refuses a public suffix such as co.uk as a customer domain, from the file or the environment, saying why', () => {
    const message = "is a public suffix (anyone can register names under it, e.g. co.uk): approve the organisation's own domain";
    const fromFile = validateConfig({ ...minimal, support: { ...minimal.support, customerDomains: ['acme.co.uk', 'co.uk'] } });
    expect(fromFile.ok).toBe(false);
    if (fromFile.ok) return;
    expect(fromFile.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([`support.customerDomains.1: ${message}`]);
    const fromEnv = validateConfig(applyEnvOverrides(minimal, { TICKETD_SUPPORT_CUSTOMER_DOMAINS: 'CO.UK' }));
    expect(fromEnv.ok).toBe(false);
    if (fromEnv.ok) return;
    expect(fromEnv.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([`support.customerDomains.0: ${message}`]);
    // The organisation's own domain under it is fine.
    expect(validateConfig({ ...minimal, support: { ...minimal.support, customerDomains: ['acme.co.uk'] } })).toMatchObject({ ok: true, config: { support: { customerDomains: ['acme.co.uk'] } } });
  });

  it('takes an LMTP-only config without an imap section, and names imap when neither is configured', () => {
    const { imap: _imap, ...withoutImap } = minimal;
    const lmtpOnly = validateConfig({ ...withoutImap, lmtp: { port: 2424 } });
    expect(lmtpOnly).toMatchObject({ ok: true, config: { lmtp: { port: 2424, host: '127.0.0.1', maxConnections: 10 } } });
    if (lmtpOnly.ok) expect(lmtpOnly.config.imap).toBeUndefined();
    expect(validateConfig(applyEnvOverrides(withoutImap, { TICKETD_LMTP_PORT: '2424' })).ok).toBe(true);
    // Reported together with any other problem, not only once the rest is fixed.
    const neither = validateConfig({ ...withoutImap, support: { address: 'not an address' } });
    expect(neither.ok).toBe(false);
    if (neither.ok) return;
    expect(neither.problems.map((problem) => `${problem.path}: ${problem.message}`).sort()).toEqual([
      'imap: is required unless lmtp.port is set (then mail may arrive over LMTP only)',
      'support.address: must be an email address',
    ]);
  });
});
