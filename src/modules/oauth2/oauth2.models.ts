/**
 * OAuth2 token requests and answers (RFC 6749 4.4 client credentials, 6 refreshing), pure: what to POST to
 * the token endpoint, how to read what comes back, when a cached token is still good. Error answers become
 * coded TicketdErrors whose message names the config key to check, never a secret.
 */
import { envNameOf } from '../../config/config.keys.js';
import { createError, type TicketdError } from '../../shared/errors.js';

export type OAuth2Grant = 'client_credentials' | 'refresh_token';

export type OAuth2Settings = {
  tokenUrl: string;
  grant: OAuth2Grant;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  scope: string;
  /** Config paths these settings come from (`imap.oauth2`, ...), named in error messages. */
  keyPrefixes: string[];
};

export type AccessToken = {
  accessToken: string;
  expiresAt: Date;
  /** A new refresh token, when the server rotated it (Microsoft does, Google may). */
  refreshToken?: string;
};

/** Google and Microsoft issue tokens for an hour; renew well before that so a slow login never carries a stale one. */
export const DEFAULT_SAFETY_MARGIN_MS = 5 * 60_000;

/** The form fields of one token request; the client authenticates in the body (client_secret_post). */
export function tokenRequestForm(settings: OAuth2Settings, refreshToken: string): Record<string, string> {
  const form: Record<string, string> = { grant_type: settings.grant, client_id: settings.clientId };
  if (settings.clientSecret) form.client_secret = settings.clientSecret;
  if (settings.grant === 'refresh_token') form.refresh_token = refreshToken;
  if (settings.scope) form.scope = settings.scope;
  return form;
}

/** True while the token has more than `marginMs` left. */
export function isFresh(token: AccessToken, now: Date, marginMs = DEFAULT_SAFETY_MARGIN_MS): boolean {
  return token.expiresAt.getTime() - now.getTime() > marginMs;
}

export type TokenAnswer = { ok: true; token: AccessToken } | { ok: false; error: TicketdError };

/** Reads the token endpoint's answer: a token on 200, otherwise a coded error saying what to check. */
export function readTokenAnswer({ status, text }: { status: number; text: string }, settings: OAuth2Settings, now: Date): TokenAnswer {
  const body = parseJsonObject(text);
  if (status === 200 && body) {
    const accessToken = body.access_token;
    if (typeof accessToken !== 'string' || accessToken === '') {
      return { ok: false, error: createError({ code: 'oauth2.bad_answer', message: `token endpoint ${settings.tokenUrl} answered 200 without an access_token`, retryable: true, details: { status } }) };
    }
    const tokenType = body.token_type;
    if (typeof tokenType === 'string' && tokenType.toLowerCase() !== 'bearer') {
      return { ok: false, error: createError({ code: 'oauth2.bad_answer', message: `token endpoint issued a ${tokenType} token; IMAP and SMTP need a Bearer token`, retryable: false, details: { status } }) };
    }
    // Microsoft's v1 endpoint sends expires_in as a string. Without it the token is used once and not cached.
    const expiresIn = Number(body.expires_in ?? 0);
    const seconds = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 0;
    const refreshToken = typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined;
    return { ok: true, token: { accessToken, expiresAt: new Date(now.getTime() + seconds * 1000), ...(refreshToken ? { refreshToken } : {}) } };
  }
  return { ok: false, error: tokenError(status, body, settings) };
}

function tokenError(status: number, body: Record<string, unknown> | undefined, settings: OAuth2Settings): TicketdError {
  const error = typeof body?.error === 'string' ? body.error : '';
  // Microsoft's error_description (AADSTS codes) says what is wrong; it never echoes the secret. Bounded all the same.
  const description = typeof body?.error_description === 'string' ? body.error_description.slice(0, 300) : '';
  const said = `token endpoint ${settings.tokenUrl} answered ${status}${error ? ` ${error}` : ''}${description ? ` (${description})` : ''}`;
  const details = { status, error: error || undefined };
  const keys = (...names: string[]) => names.flatMap((name) => settings.keyPrefixes.map((prefix) => keyWithEnv(`${prefix}.${name}`))).join(', ');

  if (error === 'invalid_client' || status === 401) {
    return createError({ code: 'oauth2.invalid_client', message: `${said}: the token endpoint refused the client: check ${keys('clientId', 'clientSecret')}`, retryable: false, details });
  }
  if (error === 'invalid_grant') {
    const hint =
      settings.grant === 'refresh_token'
        ? `the refresh token was refused (expired, revoked, or issued to another client): get a new one and set ${keys('refreshToken')}`
        : `the grant was refused: check ${keys('clientId', 'tokenUrl')} (the tenant in the URL)`;
    return createError({ code: 'oauth2.invalid_grant', message: `${said}: ${hint}`, retryable: false, details });
  }
  if (error === 'invalid_scope') {
    return createError({ code: 'oauth2.invalid_scope', message: `${said}: check ${keys('scope')}`, retryable: false, details });
  }
  if (error === 'unauthorized_client' || error === 'unsupported_grant_type') {
    return createError({ code: 'oauth2.unauthorized_client', message: `${said}: the client may not use this grant: check ${keys('grant')} and the app registration`, retryable: false, details });
  }
  if (status === 429 || status >= 500 || error === 'temporarily_unavailable' || error === 'server_error') {
    return createError({ code: 'oauth2.unavailable', message: `${said}: will retry`, retryable: true, details });
  }
  return createError({ code: 'oauth2.refused', message: `${said}: check ${keys('tokenUrl', 'grant', 'clientId')}`, retryable: false, details });
}

/** `imap.oauth2.clientId (TICKETD_IMAP_OAUTH2_CLIENT_ID)`. */
export function keyWithEnv(dotted: string): string {
  return `${dotted} (${envNameOf(dotted.split('.'))})`;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
