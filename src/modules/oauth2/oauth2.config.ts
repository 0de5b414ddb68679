import type { Config } from '../../config/config.schema.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { createHttpTokenEndpoint } from './drivers/http.token-endpoint-driver.js';
import type { OAuth2Settings } from './oauth2.models.js';
import { createTokenProvider, type TokenSource } from './oauth2.token-provider.js';

type Server = 'imap' | 'smtp';

/**
 * One token provider per distinct `imap.oauth2` / `smtp.oauth2` (undefined where auth is password). IMAP and
 * SMTP with the same settings share one provider, so a refresh token the server rotates is not spent twice.
 */
export function createTokenSources({ config, logger, clock }: { config: Pick<Config, 'imap' | 'smtp'>; logger?: Logger; clock?: Clock }): Partial<Record<Server, TokenSource>> {
  // imap is absent when mail arrives over LMTP only.
  const settingsOf = (server: Server) => config[server]?.oauth2;
  const wanted = (['imap', 'smtp'] as const).filter((server) => config[server]?.auth === 'oauth2');
  const groups = new Map<string, Server[]>();
  for (const server of wanted) {
    const key = JSON.stringify(settingsOf(server));
    groups.set(key, [...(groups.get(key) ?? []), server]);
  }
  const sources: Partial<Record<Server, TokenSource>> = {};
  for (const servers of groups.values()) {
    const first = servers[0] as Server;
    const { timeoutSeconds, ...oauth2 } = settingsOf(first) as NonNullable<ReturnType<typeof settingsOf>>;
    const settings: OAuth2Settings = { ...oauth2, keyPrefixes: servers.map((server) => `${server}.oauth2`) };
    const endpoint = createHttpTokenEndpoint({ settings, timeoutMs: timeoutSeconds * 1000, clock });
    const provider = createTokenProvider({ settings, endpoint, clock, logger });
    for (const server of servers) sources[server] = provider;
  }
  return sources;
}
