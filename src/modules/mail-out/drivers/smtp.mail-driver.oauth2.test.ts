import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOAuth2TokenServer, type OAuth2TokenServer } from '../../../devservers/oauth2-token.server.js';
import { startSmtpPeer, type SmtpPeer } from '../../../devservers/smtp-peer.server.js';
import { createHttpTokenEndpoint } from '../../oauth2/drivers/http.token-endpoint-driver.js';
import type { OAuth2Settings } from '../../oauth2/oauth2.models.js';
import { createTokenProvider, type TokenSource } from '../../oauth2/oauth2.token-provider.js';
import type { MailSender, OutboundMail } from '../mail-out.types.js';
import { createSmtpMailSender } from './smtp.mail-driver.js';

const USER = 'help@desk.test';
const APP = { clientId: 'smtp-app', clientSecret: 'smtp-app-secret', user: USER };

let tokens: OAuth2TokenServer;
let peer: SmtpPeer;
let sender: MailSender;
let provider: TokenSource;

function mail(n: number): OutboundMail {
  return { from: `Support <${USER}>`, to: ['alice@customer.test'], subject: `[T-${n}] We received your request`, text: 'Hello Alice.\n', messageId: `ticketd.T-${n}.1@desk.test` };
}

beforeAll(async () => {
  tokens = await startOAuth2TokenServer({ clients: [APP] });
  peer = await startSmtpPeer({ oauth2IntrospectionUrl: tokens.introspectionUrl });
});
afterAll(async () => {
  await peer.close();
  await tokens.close();
});
beforeEach(() => {
  peer.clear();
  peer.logins.length = 0;
  tokens.grants.length = 0;
  const settings: OAuth2Settings = { tokenUrl: tokens.tokenUrl, grant: 'client_credentials', clientId: APP.clientId, clientSecret: APP.clientSecret, refreshToken: '', scope: 'https://outlook.office365.com/.default', keyPrefixes: ['smtp.oauth2'] };
  provider = createTokenProvider({ settings, endpoint: createHttpTokenEndpoint({ settings, timeoutMs: 5_000 }) });
  sender = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false, user: USER, oauth2: provider });
});
afterEach(() => {
  sender.close();
  tokens.acceptClient(APP.clientId);
});

describe('SMTP with XOAUTH2', () => {
  it('logs in with a token from the token endpoint and delivers', async () => {
    await sender.send(mail(1));
    const [received] = await peer.waitFor(1);
    expect(received?.authUser).toBe(USER);
    expect(peer.logins).toEqual([{ method: 'XOAUTH2', user: USER, accepted: true }]);
    expect(tokens.grants).toMatchObject([{ grantType: 'client_credentials', clientId: APP.clientId, status: 200 }]);
  });

  it('verifies the login the same way, sending nothing', async () => {
    await sender.verify();
    expect(peer.logins).toEqual([{ method: 'XOAUTH2', user: USER, accepted: true }]);
    expect(peer.received).toHaveLength(0);
  });

  it('asks for a new token when the server refuses the one it has, and delivers with that', async () => {
    await sender.verify();
    // The provider still believes its token good for an hour; the authorization server no longer does.
    tokens.expireIssuedTokens();
    sender.close();
    sender = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false, user: USER, oauth2: provider });

    await sender.send(mail(2));
    await peer.waitFor(1);
    expect(peer.logins.map((login) => login.accepted)).toEqual([true, false, true]);
    expect(tokens.grants).toHaveLength(2);
  });

  it('keeps the mail for a retry when the token endpoint refuses the client, saying which keys to check', async () => {
    tokens.refuseClient(APP.clientId);
    const error = await sender.send(mail(3)).then(
      () => undefined,
      (caught: unknown) => caught as Error & { code?: string; retryable?: boolean },
    );
    expect(error).toMatchObject({ code: 'mail_out.failed', retryable: true });
    expect(error?.message).toContain('token endpoint refused the client: check smtp.oauth2.clientId (TICKETD_SMTP_OAUTH2_CLIENT_ID)');
    expect(error?.message).not.toContain(APP.clientSecret);
    expect(peer.logins).toHaveLength(0);
    expect(peer.received).toHaveLength(0);
  });
});
