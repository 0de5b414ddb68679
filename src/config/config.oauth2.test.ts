import { describe, expect, it } from 'vitest';
import { listConfigKeys } from './config.keys.js';
import { applyEnvOverrides, validateConfig } from './config.loader.js';
import { configSchema } from './config.schema.js';

const minimal = {
  imap: { host: 'outlook.office365.com', user: 'help@example.com' },
  smtp: { host: 'smtp.office365.com', user: 'help@example.com' },
  support: { address: 'help@example.com' },
};
const microsoft = {
  tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
  grant: 'client_credentials',
  clientId: '00000000-0000-0000-0000-000000000001',
  clientSecret: 'app-secret',
  scope: 'https://outlook.office365.com/.default',
};

function problemsOf(raw: unknown): string[] {
  const result = validateConfig(raw);
  return result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

describe('OAuth2 configuration', () => {
  it('keeps password logins the default', () => {
    const result = validateConfig(minimal);
    expect(result).toMatchObject({ ok: true, config: { imap: { auth: 'password', oauth2: { tokenUrl: '', grant: 'client_credentials' } }, smtp: { auth: 'password' } } });
  });

  it('accepts Microsoft 365 client credentials for both servers', () => {
    const result = validateConfig({ ...minimal, imap: { ...minimal.imap, auth: 'oauth2', oauth2: microsoft }, smtp: { ...minimal.smtp, auth: 'oauth2', oauth2: microsoft } });
    expect(result).toMatchObject({ ok: true, config: { imap: { auth: 'oauth2', oauth2: { ...microsoft, refreshToken: '', timeoutSeconds: 10 } } } });
  });

  it('names the missing refresh token and its environment variable for the refresh_token grant', () => {
    const oauth2 = { tokenUrl: 'https://oauth2.googleapis.com/token', grant: 'refresh_token', clientId: 'id.apps.googleusercontent.com', clientSecret: 'secret', scope: 'https://mail.google.com/' };
    expect(problemsOf({ ...minimal, imap: { ...minimal.imap, auth: 'oauth2', oauth2 } })).toEqual([
      'imap.oauth2.refreshToken: is required for the refresh_token grant (env TICKETD_IMAP_OAUTH2_REFRESH_TOKEN)',
    ]);
  });

  it('needs the token URL, the client, its secret and the scope for client credentials', () => {
    expect(problemsOf({ ...minimal, smtp: { ...minimal.smtp, auth: 'oauth2' } })).toEqual([
      'smtp.oauth2.tokenUrl: is required when smtp.auth is oauth2 (env TICKETD_SMTP_OAUTH2_TOKEN_URL)',
      'smtp.oauth2.clientId: is required when smtp.auth is oauth2 (env TICKETD_SMTP_OAUTH2_CLIENT_ID)',
      'smtp.oauth2.clientSecret: is required for the client_credentials grant (env TICKETD_SMTP_OAUTH2_CLIENT_SECRET)',
      'smtp.oauth2.scope: is required for the client_credentials grant (Microsoft 365: https://outlook.office365.com/.default) (env TICKETD_SMTP_OAUTH2_SCOPE)',
    ]);
  });

  it('needs the SMTP user that the token sends as', () => {
    expect(problemsOf({ ...minimal, smtp: { ...minimal.smtp, user: '', auth: 'oauth2', oauth2: microsoft } })).toEqual([
      'smtp.user: is required when smtp.auth is oauth2: the mailbox the token sends as (env TICKETD_SMTP_USER)',
    ]);
  });

  it('refuses a token URL carrying credentials, an unknown grant and a misspelt key', () => {
    const problems = problemsOf({ ...minimal, imap: { ...minimal.imap, auth: 'oauth2', oauth2: { ...microsoft, tokenUrl: 'https://id:secret@login.example.com/token', grant: 'password', clientSecrte: 'x' } } });
    expect(problems).toContain('imap.oauth2.tokenUrl: must be an http(s) URL without user:password in it (the secret goes in clientSecret)');
    expect(problems).toContain('imap.oauth2.clientSecrte: unknown key');
    expect(problems.some((problem) => problem.startsWith('imap.oauth2.grant:'))).toBe(true);
  });

  it('takes every OAuth2 key from the environment, nested names included', () => {
    const keys = listConfigKeys(configSchema).map((key) => key.env);
    expect(keys).toEqual(expect.arrayContaining(['TICKETD_IMAP_AUTH', 'TICKETD_IMAP_OAUTH2_CLIENT_ID', 'TICKETD_IMAP_OAUTH2_CLIENT_SECRET', 'TICKETD_SMTP_OAUTH2_REFRESH_TOKEN', 'TICKETD_SMTP_OAUTH2_TOKEN_URL']));
    const raw = applyEnvOverrides(minimal, {
      TICKETD_IMAP_AUTH: 'oauth2',
      TICKETD_IMAP_OAUTH2_TOKEN_URL: microsoft.tokenUrl,
      TICKETD_IMAP_OAUTH2_CLIENT_ID: microsoft.clientId,
      TICKETD_IMAP_OAUTH2_CLIENT_SECRET: 'from-env',
      TICKETD_IMAP_OAUTH2_SCOPE: microsoft.scope,
      TICKETD_IMAP_OAUTH2_TIMEOUT_SECONDS: '5',
    });
    expect(validateConfig(raw)).toMatchObject({ ok: true, config: { imap: { auth: 'oauth2', oauth2: { clientId: microsoft.clientId, clientSecret: 'from-env', timeoutSeconds: 5 } } } });
  });
});
