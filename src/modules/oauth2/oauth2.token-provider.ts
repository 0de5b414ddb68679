/**
 * Access tokens for IMAP and SMTP logins. Every connection asks; the provider answers from its cache only
 * while the token has more than the safety margin left, otherwise it asks the token endpoint. Callers that
 * ask while a request is out share it (a pool opening five SMTP connections makes one request). A refresh
 * token rotated by the server is kept in memory and used for the next refresh.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { createError, describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import type { TokenEndpoint } from './drivers/http.token-endpoint-driver.js';
import { DEFAULT_SAFETY_MARGIN_MS, isFresh, type AccessToken, type OAuth2Settings } from './oauth2.models.js';

export type TokenSource = {
  /** A token good for at least the safety margin; throws a TicketdError `oauth2.*` when none can be had. */
  getAccessToken(args?: { signal?: AbortSignal }): Promise<{ accessToken: string; expiresAt: Date }>;
  /** The server refused this token: never hand it out again (a newer one already cached is kept). */
  invalidate(accessToken: string): void;
};

export function createTokenProvider({
  settings,
  endpoint,
  clock = systemClock,
  marginMs = DEFAULT_SAFETY_MARGIN_MS,
  logger = createSilentLogger(),
}: {
  settings: OAuth2Settings;
  endpoint: TokenEndpoint;
  clock?: Clock;
  marginMs?: number;
  logger?: Logger;
}): TokenSource {
  const log = logger.child({ component: 'oauth2', tokenUrl: settings.tokenUrl, grant: settings.grant });
  let cached: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;
  let refreshToken = settings.refreshToken;

  function fetchToken(): Promise<AccessToken> {
    inFlight ??= endpoint
      .requestToken({ refreshToken })
      .then(
        (token) => {
          if (token.refreshToken && token.refreshToken !== refreshToken) {
            // Microsoft rotates on every refresh; the old one keeps working for a while, but not forever.
            refreshToken = token.refreshToken;
            log.info('OAuth2 refresh token rotated by the server; the new one is kept in memory');
          }
          cached = token;
          log.debug({ expiresAt: token.expiresAt.toISOString() }, 'OAuth2 access token fetched');
          return token;
        },
        (error: unknown) => {
          log.warn({ err: describeError(error) }, 'OAuth2 token request failed');
          throw error;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  async function getAccessToken({ signal }: { signal?: AbortSignal } = {}) {
    const token = cached && isFresh(cached, clock.now(), marginMs) ? cached : await untilAborted(fetchToken(), signal);
    return { accessToken: token.accessToken, expiresAt: token.expiresAt };
  }

  function invalidate(accessToken: string): void {
    if (cached?.accessToken === accessToken) cached = undefined;
  }

  return { getAccessToken, invalidate };
}

// The shared request goes on for the other callers; only this caller stops waiting.
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const aborted = () => createError({ code: 'oauth2.aborted', message: 'OAuth2 token request aborted', retryable: true, cause: signal.reason });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
