import { describe, expect, it } from 'vitest';
import { isFresh, readTokenAnswer, tokenRequestForm, type OAuth2Settings } from './oauth2.models.js';

const microsoft: OAuth2Settings = {
  tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
  grant: 'client_credentials',
  clientId: 'app-id',
  clientSecret: 'app-secret',
  refreshToken: '',
  scope: 'https://outlook.office365.com/.default',
  keyPrefixes: ['imap.oauth2'],
};
const google: OAuth2Settings = { ...microsoft, tokenUrl: 'https://oauth2.googleapis.com/token', grant: 'refresh_token', refreshToken: 'refresh-1', scope: 'https://mail.google.com/', keyPrefixes: ['imap.oauth2', 'smtp.oauth2'] };
const now = new Date('2026-11-25T09:00:00Z');
const answer = (status: number, body: unknown) => ({ status, text: JSON.stringify(body) });

describe('OAuth2 token requests', () => {
  it('asks for client credentials with the client in the body and the .default scope', () => {
    expect(tokenRequestForm(microsoft, '')).toEqual({ grant_type: 'client_credentials', client_id: 'app-id', client_secret: 'app-secret', scope: 'https://outlook.office365.com/.default' });
  });

  it('refreshes with the refresh token it is given (a rotated one), not the configured one', () => {
    expect(tokenRequestForm(google, 'refresh-2')).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-2', scope: 'https://mail.google.com/' });
  });

  it('leaves out an empty secret and an empty scope (a public client refreshing)', () => {
    expect(tokenRequestForm({ ...google, clientSecret: '', scope: '' }, 'r')).toEqual({ grant_type: 'refresh_token', client_id: 'app-id', refresh_token: 'r' });
  });
});

describe('OAuth2 token answers', () => {
  it('reads the token, its expiry and a rotated refresh token', () => {
    const read = readTokenAnswer(answer(200, { token_type: 'Bearer', access_token: 'at-1', expires_in: 3599, refresh_token: 'refresh-2' }), google, now);
    expect(read).toEqual({ ok: true, token: { accessToken: 'at-1', expiresAt: new Date('2026-11-25T09:59:59Z'), refreshToken: 'refresh-2' } });
  });

  it('accepts expires_in as a string, and treats a missing one as already due (used once, never cached)', () => {
    const asString = readTokenAnswer(answer(200, { token_type: 'bearer', access_token: 'at', expires_in: '3600' }), microsoft, now);
    expect(asString.ok && asString.token.expiresAt).toEqual(new Date('2026-11-25T10:00:00Z'));
    const missing = readTokenAnswer(answer(200, { access_token: 'at' }), microsoft, now);
    expect(missing.ok && isFresh(missing.token, now)).toBe(false);
  });

  it('refuses a 200 without an access token, or with a token type IMAP cannot use', () => {
    expect(readTokenAnswer(answer(200, { expires_in: 3600 }), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.bad_answer' } });
    expect(readTokenAnswer(answer(200, { access_token: 'at', token_type: 'mac' }), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.bad_answer', retryable: false } });
  });

  it('turns invalid_client into a final error naming the client keys and their environment variables', () => {
    const read = readTokenAnswer(answer(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }), microsoft, now);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.error).toMatchObject({ code: 'oauth2.invalid_client', retryable: false, details: { status: 401, error: 'invalid_client' } });
    expect(read.error.message).toContain('AADSTS7000215');
    expect(read.error.message).toContain('check imap.oauth2.clientId (TICKETD_IMAP_OAUTH2_CLIENT_ID), imap.oauth2.clientSecret (TICKETD_IMAP_OAUTH2_CLIENT_SECRET)');
  });

  it('says a refused refresh token must be replaced, for every server that shares it', () => {
    const read = readTokenAnswer(answer(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }), google, now);
    expect(read).toMatchObject({ ok: false, error: { code: 'oauth2.invalid_grant', retryable: false } });
    if (read.ok) return;
    expect(read.error.message).toContain('get a new one and set imap.oauth2.refreshToken (TICKETD_IMAP_OAUTH2_REFRESH_TOKEN), smtp.oauth2.refreshToken (TICKETD_SMTP_OAUTH2_REFRESH_TOKEN)');
  });

  it('names the scope for invalid_scope and the grant for unauthorized_client', () => {
    expect(readTokenAnswer(answer(400, { error: 'invalid_scope' }), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.invalid_scope', message: expect.stringContaining('imap.oauth2.scope') } });
    expect(readTokenAnswer(answer(400, { error: 'unauthorized_client' }), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.unauthorized_client', message: expect.stringContaining('imap.oauth2.grant') } });
  });

  it('retries throttling and server errors, JSON or not', () => {
    expect(readTokenAnswer(answer(503, { error: 'temporarily_unavailable' }), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.unavailable', retryable: true } });
    expect(readTokenAnswer({ status: 502, text: '<html>Bad gateway</html>' }, microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.unavailable', retryable: true } });
    expect(readTokenAnswer(answer(429, {}), microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.unavailable', retryable: true } });
  });

  it('does not retry another client error, and points at the URL and grant', () => {
    expect(readTokenAnswer({ status: 404, text: 'Not found' }, microsoft, now)).toMatchObject({ ok: false, error: { code: 'oauth2.refused', retryable: false, message: expect.stringContaining('imap.oauth2.tokenUrl') } });
  });
});

describe('OAuth2 token freshness', () => {
  const token = { accessToken: 'at', expiresAt: new Date('2026-11-25T10:00:00Z') };

  it('is fresh while more than the safety margin is left', () => {
    expect(isFresh(token, new Date('2026-11-25T09:54:59Z'), 5 * 60_000)).toBe(true);
  });

  it('is due once only the margin (or less) is left', () => {
    expect(isFresh(token, new Date('2026-11-25T09:55:00Z'), 5 * 60_000)).toBe(false);
    expect(isFresh(token, new Date('2026-11-25T10:01:00Z'), 5 * 60_000)).toBe(false);
  });
});
