import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appendMessage, startDovecot, type DovecotServer } from '../../../devservers/dovecot.server.js';
import { startOAuth2TokenServer, type OAuth2TokenServer } from '../../../devservers/oauth2-token.server.js';
import { createHttpTokenEndpoint } from '../../oauth2/drivers/http.token-endpoint-driver.js';
import type { OAuth2Settings } from '../../oauth2/oauth2.models.js';
import { createTokenProvider, type TokenSource } from '../../oauth2/oauth2.token-provider.js';
import type { Mailbox } from '../mailbox.types.js';
import { createImapflowMailbox } from './imapflow.mailbox-driver.js';

// Dovecot's oauth2 passdb asks the token server's introspection endpoint about every token; the
// passwd-file users (used here to APPEND) keep logging in with passwords.
const HELP = { user: 'help@example.test', password: 'secret' };
const OTHER = { user: 'other@example.test', password: 'secret' };
const HELP_APP = { clientId: 'help-app', clientSecret: 'help-app-secret', user: HELP.user };
const OTHER_APP = { clientId: 'other-app', clientSecret: 'other-app-secret', user: OTHER.user };

let tokens: OAuth2TokenServer;
let dovecot: DovecotServer;
const opened: Mailbox[] = [];

beforeAll(async () => {
  tokens = await startOAuth2TokenServer({ clients: [HELP_APP, OTHER_APP] });
  dovecot = await startDovecot({ users: [HELP, OTHER], oauth2: { introspectionUrl: tokens.introspectionUrl } });
});
afterAll(async () => {
  await dovecot?.destroy();
  await tokens?.close();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((mailbox) => mailbox.close()));
  tokens.grants.length = 0;
  tokens.introspections.length = 0;
  tokens.acceptClient(HELP_APP.clientId);
});

function providerFor(app: { clientId: string; clientSecret: string }): TokenSource {
  const settings: OAuth2Settings = { tokenUrl: tokens.tokenUrl, grant: 'client_credentials', clientId: app.clientId, clientSecret: app.clientSecret, refreshToken: '', scope: 'https://outlook.office365.com/.default', keyPrefixes: ['imap.oauth2'] };
  return createTokenProvider({ settings, endpoint: createHttpTokenEndpoint({ settings, timeoutMs: 5_000 }) });
}

function mailboxFor(oauth2: TokenSource, user = HELP.user): Mailbox {
  // No password: the login can only succeed with the token.
  const mailbox = createImapflowMailbox({ host: dovecot.host, port: dovecot.port, secure: false, user, password: '', oauth2, mailbox: 'INBOX', commandTimeoutMs: 5_000 });
  opened.push(mailbox);
  return mailbox;
}

describe('IMAP with an OAuth2 token against Dovecot', () => {
  it('logs in with the token Dovecot confirmed with the authorization server, and reads the mailbox', async () => {
    await appendMessage({ host: dovecot.host, port: dovecot.port, ...HELP, raw: 'Subject: hello\r\nMessage-ID: <oauth-1@customer.test>\r\n\r\nHi\r\n' });
    const mailbox = mailboxFor(providerFor(HELP_APP));
    await mailbox.open({});
    expect(await mailbox.listNewUids({ afterUid: 0 })).toHaveLength(1);

    const issued = tokens.grants.map((grant) => grant.accessToken);
    expect(issued).toHaveLength(1);
    expect(tokens.introspections).toEqual([{ token: issued[0], active: true, username: HELP.user }]);
  });

  it('fails as mailbox.auth_failed with a hint when the token is for another mailbox', async () => {
    const mailbox = mailboxFor(providerFor(OTHER_APP), HELP.user);
    await expect(mailbox.open({})).rejects.toMatchObject({
      code: 'mailbox.auth_failed',
      retryable: false,
      message: expect.stringContaining(`the server refused the OAuth2 access token for ${HELP.user}`),
    });
  });

  it('asks for a new token on the next connection after the server refused the cached one', async () => {
    const provider = providerFor(HELP_APP);
    const mailbox = mailboxFor(provider);
    await mailbox.open({});
    await mailbox.close();
    tokens.expireIssuedTokens();

    await expect(mailbox.open({})).rejects.toMatchObject({ code: 'mailbox.auth_failed' });
    await mailbox.open({});

    expect(tokens.grants).toHaveLength(2);
    expect(tokens.introspections.map((introspection) => introspection.active)).toEqual([true, false, true]);
    expect(tokens.introspections[2]?.token).toBe(tokens.grants[1]?.accessToken);
  });

  it('does not connect at all when the token endpoint refuses the client', async () => {
    tokens.refuseClient(HELP_APP.clientId);
    const mailbox = mailboxFor(providerFor(HELP_APP));
    await expect(mailbox.open({})).rejects.toMatchObject({ code: 'oauth2.invalid_client', retryable: false });
    expect(tokens.introspections).toHaveLength(0);
  });
});
