import { z } from 'zod';
import { envNameOf } from './config.keys.js';

/** The login slice of the config schema shared by imap and smtp: password or OAuth2, and the OAuth2 grant's settings. */
export const loginMethod = z.enum(['password', 'oauth2']).default('password');

// One per server: IMAP and SMTP may use different app registrations (a token for the same settings is shared).
export const oauth2Settings = z
  .object({
    tokenUrl: z
      .string()
      .refine((value) => value === '' || isPlainHttpUrl(value), 'must be an http(s) URL without user:password in it (the secret goes in clientSecret)')
      .default('')
      .describe('OAuth2 token endpoint. Microsoft 365: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token; Google: https://oauth2.googleapis.com/token.'),
    grant: z
      .enum(['client_credentials', 'refresh_token'])
      .default('client_credentials')
      .describe("client_credentials: the app's own access (Microsoft 365 app registration); refresh_token: access a user granted once (Google, or Microsoft 365 delegated)."),
    clientId: z.string().default('').describe('Application (client) id.'),
    clientSecret: z.string().default('').describe('Client secret; set it from the environment, not in the file.'),
    refreshToken: z.string().default('').describe('Refresh token (grant refresh_token); one the server rotates is kept in memory until restart.'),
    scope: z
      .string()
      .default('')
      .describe('Scope asked for. Microsoft 365 client credentials: https://outlook.office365.com/.default; Google: https://mail.google.com/ (empty: none sent).'),
    timeoutSeconds: z.number().int().min(1).default(10).describe('HTTP timeout of one token request.'),
  })
  .strict();

function isPlainHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** With auth oauth2, the keys the grant needs must be set; each problem names its key and env variable. */
export function checkOAuth2(server: 'imap' | 'smtp', value: { auth: 'password' | 'oauth2'; oauth2: z.infer<typeof oauth2Settings> }, ctx: z.RefinementCtx): void {
  if (value.auth !== 'oauth2') return;
  const { grant } = value.oauth2;
  type TextKey = 'tokenUrl' | 'clientId' | 'clientSecret' | 'refreshToken' | 'scope';
  const required: Array<[TextKey, string]> = [
    ['tokenUrl', `when ${server}.auth is oauth2`],
    ['clientId', `when ${server}.auth is oauth2`],
  ];
  if (grant === 'client_credentials') required.push(['clientSecret', 'for the client_credentials grant'], ['scope', 'for the client_credentials grant (Microsoft 365: https://outlook.office365.com/.default)']);
  if (grant === 'refresh_token') required.push(['refreshToken', 'for the refresh_token grant']);
  for (const [key, when] of required) {
    if (value.oauth2[key] === '') ctx.addIssue({ code: 'custom', path: ['oauth2', key], message: `is required ${when} (env ${envNameOf([server, 'oauth2', key])})` });
  }
}
