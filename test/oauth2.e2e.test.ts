import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_OAUTH2_CLIENT, type LocalStack } from '../src/devservers/local-stack.js';
import type { OAuth2TokenServer } from '../src/devservers/oauth2-token.server.js';
import { customerMail } from './support/mail-factory.js';
import { startTestStack } from './support/test-stack.js';
import { runTicketd, startDaemonProcess, ticketdJson, type DaemonProcess } from './support/ticketd-process.js';

type DoctorJson = { ok: boolean; checks: Array<{ name: string; verdict: 'ok' | 'warn' | 'fail'; detail: string; hint: string }> };

const fixture = (name: string) => readFile(new URL(`../fixtures/mail/${name}`, import.meta.url));
const waitLong = { timeout: 60_000, interval: 250 };

/** Microsoft 365 style app-only access, the client secret coming from the environment as in production. */
const SECRET_ENV = { TICKETD_IMAP_OAUTH2_CLIENT_SECRET: LOCAL_OAUTH2_CLIENT.clientSecret, TICKETD_SMTP_OAUTH2_CLIENT_SECRET: LOCAL_OAUTH2_CLIENT.clientSecret };

/**
 * The daemon against Dovecot whose oauth2 passdb asks the local token server about every token, and an SMTP
 * peer that accepts XOAUTH2 only for tokens the same server calls active. No password is configured for
 * ticketd: every login it makes is an OAuth2 one. (The test's own deliveries log in with a password.)
 */
describe('OAuth2 logins to Dovecot and SMTP', () => {
  let stack: LocalStack;
  let tokens: OAuth2TokenServer;
  let configFile: string;
  let daemon: DaemonProcess;

  const tickets = () => ticketdJson<Array<{ ref: string; subject: string }>>(['tickets', 'list', '--config', configFile, '--json'], { env: SECRET_ENV });
  const logLines = () =>
    daemon
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const reconnectErrors = () => logLines().filter((line) => line.msg === 'IMAP connection failed; reconnecting').map((line) => String(line.err));
  /** Stops Dovecot until the daemon noticed, then starts it again: the daemon must log in anew. */
  const bounceDovecot = async () => {
    const before = reconnectErrors().length;
    await stack.dovecot.stop();
    await vi.waitFor(() => expect(reconnectErrors().length).toBeGreaterThan(before), waitLong);
    await stack.dovecot.start();
  };

  beforeAll(async () => {
    stack = await startTestStack({ oauth2: true });
    tokens = stack.oauth2 as OAuth2TokenServer;
    const oauth2 = { tokenUrl: tokens.tokenUrl, grant: 'client_credentials', clientId: LOCAL_OAUTH2_CLIENT.clientId, scope: 'https://outlook.office365.com/.default' };
    configFile = await stack.writeConfig('oauth2.yaml', {
      imap: { auth: 'oauth2', password: '', oauth2, pollCron: '* * * * * *' },
      smtp: { user: stack.imap.user, auth: 'oauth2', oauth2 },
      outbox: { pollSeconds: 0.5, retryBaseSeconds: 0.5, retryMaxSeconds: 2 },
    });
    daemon = startDaemonProcess(configFile, { env: SECRET_ENV });
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it('logs in to Dovecot with a token, ingests a mail and sends the confirmation with XOAUTH2', async () => {
    await stack.deliver(await fixture('01-sev1-outage.eml'));

    const [confirmation] = await stack.smtp.waitFor(1, 30_000);
    expect(confirmation?.authUser).toBe(stack.imap.user);
    expect(confirmation?.parsed.subject).toContain('[CS-1]');
    expect(stack.smtp.logins.length).toBeGreaterThan(0);
    expect(stack.smtp.logins.every((login) => login.method === 'XOAUTH2' && login.accepted)).toBe(true);
    expect((await tickets()).map((ticket) => ticket.ref)).toEqual(['CS-1']);

    // IMAP and SMTP share one provider with the same settings: one grant serves both logins.
    expect(tokens.grants).toMatchObject([{ grantType: 'client_credentials', clientId: LOCAL_OAUTH2_CLIENT.clientId, scope: 'https://outlook.office365.com/.default', status: 200 }]);
    const issued = tokens.grants[0]?.accessToken;
    expect(tokens.introspections.filter((introspection) => introspection.token === issued && introspection.active && introspection.username === stack.imap.user).length).toBeGreaterThanOrEqual(2);
  });

  it('gets a new token when the server refuses the cached one, and for every login once tokens are short-lived', { timeout: 150_000 }, async () => {
    // Tokens issued from now on last less than the provider's 5-minute margin.
    tokens.setTokenLifetime(60);
    // Every token issued so far dies on the server while ticketd still believes it good for an hour.
    tokens.expireIssuedTokens();
    const grantsBefore = tokens.grants.length;
    await bounceDovecot();
    await vi.waitFor(() => expect(reconnectErrors().some((error) => error.includes('mailbox.auth_failed') && error.includes('refused the OAuth2 access token'))).toBe(true), waitLong);
    await stack.deliver(customerMail({ subject: 'SEV3 after the token expired', messageId: 'after-expiry@mail.acme.test' }));
    await vi.waitFor(async () => expect((await tickets()).map((ticket) => ticket.subject)).toContain('SEV3 after the token expired'), waitLong);
    expect(tokens.grants.length).toBeGreaterThan(grantsBefore);

    // The token in ticketd's cache now has less than the margin left: the next connection asks for a fresh one first.
    const refreshedBefore = tokens.grants.length;
    const failedLoginsBefore = tokens.introspections.filter((introspection) => !introspection.active).length;
    await bounceDovecot();
    await stack.deliver(customerMail({ subject: 'SEV3 with short-lived tokens', messageId: 'short-lived@mail.acme.test' }));
    await vi.waitFor(async () => expect((await tickets()).map((ticket) => ticket.subject)).toContain('SEV3 with short-lived tokens'), waitLong);
    await stack.smtp.waitFor(3, 30_000);

    expect(tokens.grants.length).toBeGreaterThan(refreshedBefore);
    expect(tokens.grants.every((grant) => grant.status === 200)).toBe(true);
    // Nothing was refused this time: the stale token was never presented.
    expect(tokens.introspections.filter((introspection) => !introspection.active)).toHaveLength(failedLoginsBefore);
    const latest = tokens.grants.at(-1)?.accessToken;
    expect(tokens.introspections.some((introspection) => introspection.token === latest && introspection.active)).toBe(true);
    expect(daemon.child.exitCode).toBeNull();
  });

  it('reports a refused client in doctor with the keys to check, keeps running and loses no mail', { timeout: 150_000 }, async () => {
    // A fresh daemon (fresh reconnect backoff) whose client the token endpoint refuses from the start.
    expect(await daemon.stop('SIGTERM')).toBe(0);
    tokens.refuseClient(LOCAL_OAUTH2_CLIENT.clientId);
    daemon = startDaemonProcess(configFile, { env: SECRET_ENV });
    await vi.waitFor(() => expect(reconnectErrors().some((error) => error.includes('oauth2.invalid_client'))).toBe(true), waitLong);
    await stack.deliver(customerMail({ subject: 'SEV2 while the client is refused', messageId: 'refused@mail.acme.test' }));

    const doctor = await runTicketd(['doctor', '--config', configFile, '--json', '--timeout', '5'], { env: SECRET_ENV });
    expect(doctor.code).toBe(1);
    const checks = Object.fromEntries((JSON.parse(doctor.stdout) as DoctorJson).checks.map((check) => [check.name, check]));
    expect(checks['imap-token']).toMatchObject({
      verdict: 'fail',
      hint: 'the token endpoint refused the client: check imap.oauth2.clientId (TICKETD_IMAP_OAUTH2_CLIENT_ID) and imap.oauth2.clientSecret (TICKETD_IMAP_OAUTH2_CLIENT_SECRET)',
    });
    expect(checks['imap-token']?.detail).toContain('invalid_client');
    expect(checks.imap).toMatchObject({ verdict: 'fail', detail: 'login not tried: no access token' });
    expect(checks['smtp-token']).toMatchObject({ verdict: 'fail', hint: expect.stringContaining('smtp.oauth2.clientId') });
    expect(doctor.stdout + doctor.stderr).not.toContain(LOCAL_OAUTH2_CLIENT.clientSecret);
    expect(daemon.child.exitCode).toBeNull();
    expect((await tickets()).map((ticket) => ticket.subject)).not.toContain('SEV2 while the client is refused');

    tokens.acceptClient(LOCAL_OAUTH2_CLIENT.clientId);
    await vi.waitFor(async () => expect((await tickets()).map((ticket) => ticket.subject)).toContain('SEV2 while the client is refused'), waitLong);
    const received = await stack.smtp.waitFor(4, 30_000);
    expect(received.map((mail) => mail.parsed.subject).some((subject) => subject.includes('SEV2 while the client is refused'))).toBe(true);

    const healthy = await runTicketd(['doctor', '--config', configFile, '--json'], { env: SECRET_ENV });
    expect((JSON.parse(healthy.stdout) as DoctorJson).checks.filter((check) => check.name !== 'pager' && check.name !== 'disk').map((check) => `${check.name}:${check.verdict}`)).toEqual([
      'imap-token:ok',
      'imap:ok',
      'smtp-token:ok',
      'smtp:ok',
      'database:ok',
    ]);
  });
});
