import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/free-port.js';
import { startOAuth2TokenServer, type OAuth2TokenServer } from '../../devservers/oauth2-token.server.js';
import { createHttpTokenEndpoint } from './drivers/http.token-endpoint-driver.js';
import type { OAuth2Settings } from './oauth2.models.js';
import { createTokenProvider } from './oauth2.token-provider.js';

const APP = { clientId: 'm365-app', clientSecret: 'm365-secret', user: 'help@example.test' };
const USER_APP = { clientId: 'google-app', clientSecret: 'google-secret', user: 'help@example.test', refreshToken: 'refresh-0' };

let server: OAuth2TokenServer;

beforeAll(async () => {
  server = await startOAuth2TokenServer({ clients: [APP, USER_APP] });
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  server.grants.length = 0;
  server.acceptClient(APP.clientId);
  server.setOutage(undefined);
  server.setRotateRefreshTokens(false);
});

function clientCredentials(overrides: Partial<OAuth2Settings> = {}): OAuth2Settings {
  return { tokenUrl: server.tokenUrl, grant: 'client_credentials', clientId: APP.clientId, clientSecret: APP.clientSecret, refreshToken: '', scope: 'https://outlook.office365.com/.default', keyPrefixes: ['imap.oauth2'], ...overrides };
}

/** A clock the test moves by hand; the token server's tokens last an hour. */
function testClock(start = new Date('2026-11-25T09:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

function failureOf(work: Promise<unknown>): Promise<Error> {
  return work.then(
    () => {
      throw new Error('expected the token request to fail');
    },
    (caught: unknown) => caught as Error,
  );
}

function providerFor(settings: OAuth2Settings, clock = testClock()) {
  return { clock, provider: createTokenProvider({ settings, endpoint: createHttpTokenEndpoint({ settings, clock, timeoutMs: 5_000 }), clock, marginMs: 5 * 60_000 }) };
}

describe('OAuth2 token provider against a local token endpoint', () => {
  it('fetches a token that the authorization server considers active, with the scope asked for', async () => {
    const { provider } = providerFor(clientCredentials());
    const { accessToken } = await provider.getAccessToken();
    expect(server.isActive(accessToken)).toBe(true);
    expect(server.grants).toMatchObject([{ grantType: 'client_credentials', clientId: APP.clientId, scope: 'https://outlook.office365.com/.default', status: 200, accessToken }]);
  });

  it('answers from its cache while more than the margin is left, and fetches anew after that', async () => {
    const { provider, clock } = providerFor(clientCredentials());
    const first = await provider.getAccessToken();
    clock.advance(54 * 60_000); // 6 minutes left
    expect((await provider.getAccessToken()).accessToken).toBe(first.accessToken);
    expect(server.grants).toHaveLength(1);

    clock.advance(60_000); // 5 minutes left: within the margin
    const second = await provider.getAccessToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(server.grants).toHaveLength(2);
  });

  it('makes one request for callers that ask at the same time', async () => {
    const { provider } = providerFor(clientCredentials());
    const tokens = await Promise.all(Array.from({ length: 5 }, () => provider.getAccessToken()));
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    expect(server.grants).toHaveLength(1);
  });

  it('never hands out a token the mail server refused, but keeps a newer one', async () => {
    const { provider } = providerFor(clientCredentials());
    const refused = await provider.getAccessToken();
    provider.invalidate(refused.accessToken);
    const replacement = await provider.getAccessToken();
    expect(replacement.accessToken).not.toBe(refused.accessToken);
    provider.invalidate(refused.accessToken);
    expect((await provider.getAccessToken()).accessToken).toBe(replacement.accessToken);
    expect(server.grants).toHaveLength(2);
  });

  it('refreshes with the refresh token the server rotated last, which is the only one it still accepts', async () => {
    server.setRotateRefreshTokens(true);
    const { provider, clock } = providerFor({ ...clientCredentials(), grant: 'refresh_token', clientId: USER_APP.clientId, clientSecret: USER_APP.clientSecret, refreshToken: 'refresh-0', scope: 'https://mail.google.com/' });
    await provider.getAccessToken();
    clock.advance(3_600_000);
    await provider.getAccessToken();
    clock.advance(3_600_000);
    await provider.getAccessToken();

    const presented = server.grants.map((grant) => grant.refreshToken);
    expect(presented[0]).toBe('refresh-0');
    expect(new Set(presented).size).toBe(3);
    expect(presented[2]).not.toBe('refresh-0');
    expect(server.grants.every((grant) => grant.status === 200)).toBe(true);
  });

  it('fails for a refused client with a final error naming the keys, and recovers once the client is accepted', async () => {
    server.refuseClient(APP.clientId);
    const { provider } = providerFor(clientCredentials());
    await expect(provider.getAccessToken()).rejects.toMatchObject({ code: 'oauth2.invalid_client', retryable: false, message: expect.stringContaining('check imap.oauth2.clientId (TICKETD_IMAP_OAUTH2_CLIENT_ID)') });
    server.acceptClient(APP.clientId);
    await expect(provider.getAccessToken()).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('fails for a wrong secret or an unknown refresh token without echoing either', async () => {
    const wrongSecret = providerFor(clientCredentials({ clientSecret: 'not-the-secret-9f1e' })).provider;
    const error = await failureOf(wrongSecret.getAccessToken());
    expect(error).toMatchObject({ code: 'oauth2.invalid_client' });
    expect(error.message).not.toContain('not-the-secret-9f1e');

    const staleRefresh = providerFor({ ...clientCredentials(), grant: 'refresh_token', clientId: USER_APP.clientId, clientSecret: USER_APP.clientSecret, refreshToken: 'revoked-7c2a', scope: '' }).provider;
    const refused = await failureOf(staleRefresh.getAccessToken());
    expect(refused).toMatchObject({ code: 'oauth2.invalid_grant', retryable: false, message: expect.stringContaining('imap.oauth2.refreshToken') });
    expect(refused.message).not.toContain('revoked-7c2a');
  });

  it('treats an endpoint that is down or unreachable as temporary', async () => {
    server.setOutage(503);
    const { provider } = providerFor(clientCredentials());
    await expect(provider.getAccessToken()).rejects.toMatchObject({ code: 'oauth2.unavailable', retryable: true });

    const dead = providerFor(clientCredentials({ tokenUrl: `http://127.0.0.1:${await freePort()}/token` })).provider;
    await expect(dead.getAccessToken()).rejects.toMatchObject({ code: 'oauth2.unreachable', retryable: true, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('lets one caller stop waiting without failing the request the others share', async () => {
    const { provider } = providerFor(clientCredentials());
    const stopped = new AbortController();
    const impatient = provider.getAccessToken({ signal: stopped.signal });
    const patient = provider.getAccessToken();
    stopped.abort();
    await expect(impatient).rejects.toMatchObject({ code: 'oauth2.aborted' });
    await expect(patient).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(server.grants).toHaveLength(1);
  });
});
