import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_MAILBOX, LOCAL_OAUTH2_CLIENT, type LocalStack } from '../src/devservers/local-stack.js';
import type { OAuth2TokenServer } from '../src/devservers/oauth2-token.server.js';
import { freePort } from './support/free-port.js';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { startTestStack } from './support/test-stack.js';
import { runTicketd, startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';

const fixturePath = (name: string) => path.resolve(import.meta.dirname, '../fixtures/mail', name);
const waitLong = { timeout: 30_000, interval: 200 };
const SMTP_SECRET = 'smtp-pw-5ec7-7a1d';
const ROUTING_SECRET = 'routing-key-5ec7-93be';
const IMAP_SECRET = 'imap-pw-5ec7-c0de';

/** Every JSON log line the daemon wrote, parsed. */
function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('secrets never reach the logs', () => {
  let stack: LocalStack;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop('SIGKILL');
    await stack?.close();
  });

  it('logs message id, uid and ticket ref but no password or routing key while mail flows and the pager is down (debug level)', async () => {
    const deadPager = await freePort();
    const file = await stack.writeConfig('flowing.yaml', {
      smtp: { user: 'help@cloudsoft.test', password: SMTP_SECRET },
      pager: { routingKey: ROUTING_SECRET, url: `http://127.0.0.1:${deadPager}/v2/enqueue`, timeoutSeconds: 2 },
      outbox: { pollSeconds: 1, retryBaseSeconds: 1, retryMaxSeconds: 1 },
      log: { level: 'debug' },
    });
    const daemon = startDaemonProcess(file);
    daemons.push(daemon);
    await stack.deliver(await readFile(fixturePath('01-sev1-outage.eml')));

    const [confirmation] = await stack.smtp.waitFor(1, 30_000);
    expect(confirmation?.authUser).toBe('help@cloudsoft.test');
    await vi.waitFor(() => expect(logLines(daemon.logs()).filter((line) => line.msg === 'delivery failed, will retry' && line.kind === 'page').length).toBeGreaterThanOrEqual(2), waitLong);
    expect(await daemon.stop('SIGTERM')).toBe(0);

    const output = daemon.logs();
    const ingested = logLines(output).find((line) => line.msg === 'message ingested');
    expect(ingested).toMatchObject({ messageId: 'a1b2c3d4.outage@mail.acme.test', uid: 1, ref: 'CS-1', outcome: 'ticket' });
    expect(String(logLines(output).find((line) => line.kind === 'page' && line.err)?.err)).toContain('ECONNREFUSED');
    for (const secret of [SMTP_SECRET, ROUTING_SECRET, LOCAL_MAILBOX.password]) expect(output).not.toContain(secret);
  });

  it('keeps the passwords out of the logs when the IMAP login is refused and the SMTP server is down', async () => {
    const deadSmtp = await freePort();
    // A database of its own (its stores too, on PostgreSQL): the confirmation queued below is the only one.
    const own: Record<string, Record<string, unknown>> = testDialect() === 'sqlite' ? { database: { path: path.join(stack.dir, 'failing.sqlite') } } : { database: { url: await createTestPostgresDatabase() }, storage: { path: path.join(stack.dir, 'failing-store') } };
    const file = await stack.writeConfig('failing.yaml', {
      ...own,
      imap: { password: IMAP_SECRET },
      smtp: { port: deadSmtp, user: 'help@cloudsoft.test', password: SMTP_SECRET },
      pager: { routingKey: ROUTING_SECRET },
      outbox: { pollSeconds: 1, retryBaseSeconds: 1, retryMaxSeconds: 1 },
      log: { level: 'debug' },
    });
    // Queued from a file (IMAP cannot log in), so the daemon has a confirmation to fail to send.
    const ingest = await runTicketd(['ingest', '--config', file, '--no-deliver', fixturePath('02-sev2-degraded.eml')]);
    expect(ingest.code).toBe(0);
    const daemon = startDaemonProcess(file);
    daemons.push(daemon);

    await vi.waitFor(() => {
      const lines = logLines(daemon.logs());
      expect(lines.some((line) => line.msg === 'IMAP connection failed; reconnecting' && String(line.err).includes('Authentication failed'))).toBe(true);
      expect(lines.some((line) => line.msg === 'delivery failed, will retry' && line.kind === 'email' && String(line.err).includes('ECONNREFUSED'))).toBe(true);
    }, waitLong);
    expect(await daemon.stop('SIGTERM')).toBe(0);

    for (const secret of [IMAP_SECRET, SMTP_SECRET, ROUTING_SECRET]) {
      expect(daemon.logs()).not.toContain(secret);
      expect(ingest.stdout + ingest.stderr).not.toContain(secret);
    }
  });

  it('prints configuration errors by key, never with the secret values next to them', async () => {
    const file = await stack.writeConfig('invalid.yaml', {
      imap: { password: IMAP_SECRET, passwd: IMAP_SECRET, port: 'not-a-port' },
      smtp: { password: SMTP_SECRET, secure: 'sometimes' },
      pager: { kind: 'pagerduty', routingKey: ROUTING_SECRET, url: 'not a url' },
    });
    for (const args of [['config', 'check', '--config', file], ['run', '--config', file], ['doctor', '--config', file, '--json']]) {
      const result = await runTicketd(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/imap\.passwd \(line \d+\): unknown key/);
      for (const secret of [IMAP_SECRET, SMTP_SECRET, ROUTING_SECRET]) expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });
});

describe('OAuth2 secrets never reach the logs or the command output', () => {
  let stack: LocalStack;
  let tokens: OAuth2TokenServer;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ oauth2: true });
    tokens = stack.oauth2 as OAuth2TokenServer;
  });

  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop('SIGKILL');
    await stack?.close();
  });

  /** Every secret the token server knows of: the client secret, each refresh token (rotated ones too), each access token. */
  const oauth2Secrets = () => [
    LOCAL_OAUTH2_CLIENT.clientSecret,
    ...tokens.grants.flatMap((grant) => [grant.refreshToken ?? '', grant.accessToken ?? '']),
    tokens.currentRefreshToken(LOCAL_OAUTH2_CLIENT.clientId) ?? '',
  ].filter((secret) => secret !== '');

  it('logs neither client secret, refresh tokens nor access tokens at debug level, working, rotating and refused', async () => {
    // Google-style: a refresh token, rotated by the server on every refresh; tokens short-lived so every login refreshes.
    tokens.setRotateRefreshTokens(true);
    tokens.setTokenLifetime(60);
    const oauth2 = { tokenUrl: tokens.tokenUrl, grant: 'refresh_token', clientId: LOCAL_OAUTH2_CLIENT.clientId, clientSecret: LOCAL_OAUTH2_CLIENT.clientSecret, refreshToken: LOCAL_OAUTH2_CLIENT.refreshToken, scope: 'https://mail.google.com/' };
    const file = await stack.writeConfig('oauth2-flowing.yaml', {
      imap: { auth: 'oauth2', password: '', oauth2 },
      smtp: { user: LOCAL_MAILBOX.user, auth: 'oauth2', oauth2 },
      outbox: { pollSeconds: 1, retryBaseSeconds: 1, retryMaxSeconds: 1 },
      log: { level: 'debug' },
    });
    const daemon = startDaemonProcess(file);
    daemons.push(daemon);
    await stack.deliver(await readFile(fixturePath('01-sev1-outage.eml')));
    const [confirmation] = await stack.smtp.waitFor(1, 30_000);
    expect(confirmation?.authUser).toBe(LOCAL_MAILBOX.user);
    // IMAP and SMTP each refreshed at least once, each time with the refresh token the server rotated last.
    expect(tokens.grants.filter((grant) => grant.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(new Set(tokens.grants.map((grant) => grant.refreshToken)).size).toBe(tokens.grants.length);

    tokens.refuseClient(LOCAL_OAUTH2_CLIENT.clientId);
    const doctor = await runTicketd(['doctor', '--config', file, '--json']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('invalid_client');
    tokens.acceptClient(LOCAL_OAUTH2_CLIENT.clientId);
    expect(await daemon.stop('SIGTERM')).toBe(0);

    const output = daemon.logs();
    expect(logLines(output).some((line) => line.msg === 'OAuth2 refresh token rotated by the server; the new one is kept in memory')).toBe(true);
    const secrets = oauth2Secrets();
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
      expect(doctor.stdout + doctor.stderr).not.toContain(secret);
    }
  });

  it('prints OAuth2 configuration errors by key, never with the secret values next to them', async () => {
    const file = await stack.writeConfig('oauth2-invalid.yaml', {
      imap: { auth: 'oauth2', oauth2: { tokenUrl: 'not a url', grant: 'password', clientId: 'app', clientSecret: LOCAL_OAUTH2_CLIENT.clientSecret, refreshToken: 'refresh-5ec7-in-file', clientSecrte: 'typo-5ec7' } },
      smtp: { auth: 'oauth2', user: '', oauth2: { tokenUrl: tokens.tokenUrl, grant: 'refresh_token', clientId: 'app', clientSecret: LOCAL_OAUTH2_CLIENT.clientSecret } },
    });
    for (const args of [['config', 'check', '--config', file], ['config', 'check', '--config', file, '--json'], ['doctor', '--config', file, '--json']]) {
      const result = await runTicketd(args);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('imap.oauth2.clientSecrte');
      expect(result.stdout + result.stderr).toContain('smtp.oauth2.refreshToken');
      for (const secret of [LOCAL_OAUTH2_CLIENT.clientSecret, 'refresh-5ec7-in-file', 'typo-5ec7']) expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });
});
