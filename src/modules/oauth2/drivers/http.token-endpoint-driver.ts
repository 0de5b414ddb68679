/**
 * The OAuth2 token endpoint over HTTP: one form POST per token, under a hard deadline. A missing answer
 * (socket error, timeout) is `oauth2.unreachable` and retryable; statuses are read by oauth2.models.
 */
import { systemClock, type Clock } from '../../../shared/clock.js';
import { postForm } from '../../../shared/http-post.js';
import { readTokenAnswer, tokenRequestForm, type AccessToken, type OAuth2Settings } from '../oauth2.models.js';

export type TokenEndpoint = {
  /** Throws a TicketdError `oauth2.*`; `retryable` says whether asking again later can help. */
  requestToken(args: { refreshToken: string }): Promise<AccessToken>;
};

export function createHttpTokenEndpoint({ settings, timeoutMs = 10_000, clock = systemClock }: { settings: OAuth2Settings; timeoutMs?: number; clock?: Clock }): TokenEndpoint {
  async function requestToken({ refreshToken }: { refreshToken: string }): Promise<AccessToken> {
    const answer = await postForm({
      url: settings.tokenUrl,
      form: tokenRequestForm(settings, refreshToken),
      timeoutMs,
      service: 'oauth2',
      label: `OAuth2 token endpoint ${settings.tokenUrl}`,
    });
    const read = readTokenAnswer(answer, settings, clock.now());
    if (!read.ok) throw read.error;
    return read.token;
  }
  return { requestToken };
}
