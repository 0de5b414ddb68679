/**
 * A local OAuth2 authorization server on 127.0.0.1 standing in for Microsoft's and Google's token endpoints:
 * `POST /token` (client_credentials and refresh_token grants, RFC 6749) issues random opaque Bearer tokens
 * with an expiry, `POST /introspect` (RFC 7662) tells Dovecot and the SMTP peer whether a token is active
 * and whose it is. It records every grant and introspection, and can be told to refuse a client, to be
 * down, to issue short-lived tokens, to rotate refresh tokens, or to expire everything issued so far.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from './listen.js';
import { createRecording } from './recording.js';

export type OAuth2Client = {
  clientId: string;
  /** Empty: a public client (refresh_token grant without a secret). */
  clientSecret: string;
  /** The mailbox this client's tokens open (Dovecot compares it with the login name). */
  user: string;
  /** The refresh token the client starts with; the server rotates it when told to. */
  refreshToken?: string;
};

export type GrantRequest = {
  grantType: string;
  clientId: string;
  scope: string;
  /** The refresh token presented, for the refresh_token grant. */
  refreshToken?: string;
  status: number;
  error?: string;
  /** The access token issued, when one was. */
  accessToken?: string;
  expiresIn?: number;
};

export type Introspection = { token: string; active: boolean; username?: string };

type Issued = { token: string; clientId: string; user: string; expiresAt: number; revoked: boolean };

export type OAuth2TokenServer = {
  url: string;
  tokenUrl: string;
  introspectionUrl: string;
  grants: GrantRequest[];
  introspections: Introspection[];
  /** Resolves once at least `count` grant requests arrived (refused ones included). */
  waitForGrants(count: number, timeoutMs?: number): Promise<GrantRequest[]>;
  /** Answer 401 invalid_client to this client until accepted again. */
  refuseClient(clientId: string): void;
  acceptClient(clientId: string): void;
  /** `expires_in` of tokens issued from now on. */
  setTokenLifetime(seconds: number): void;
  /** Issue a new refresh token with every refresh and refuse the old one from then on (invalid_grant). */
  setRotateRefreshTokens(rotate: boolean): void;
  /** The refresh token the server currently accepts for a client. */
  currentRefreshToken(clientId: string): string | undefined;
  /** Answer every token request with this status (503: down) until called with undefined. */
  setOutage(status: number | undefined): void;
  /** Every token issued so far introspects as inactive, as if they had all expired. */
  expireIssuedTokens(): void;
  /** Whether a token is active now (issued, not expired, not revoked). */
  isActive(token: string): boolean;
  close(): Promise<void>;
};

export async function startOAuth2TokenServer({ clients, port = 0, tokenLifetimeSeconds = 3600 }: { clients: OAuth2Client[]; port?: number; tokenLifetimeSeconds?: number }): Promise<OAuth2TokenServer> {
  const grantRecording = createRecording<GrantRequest>({ describe: (got, wanted, ms) => `token server got ${got} of ${wanted} grant requests within ${ms} ms` });
  const introspections: Introspection[] = [];
  const registered = new Map(clients.map((client) => [client.clientId, { ...client }]));
  const refused = new Set<string>();
  const issued = new Map<string, Issued>();
  let lifetime = tokenLifetimeSeconds;
  let rotate = false;
  let outage: number | undefined;

  function activeToken(token: string): Issued | undefined {
    const found = issued.get(token);
    return found && !found.revoked && found.expiresAt > Date.now() ? found : undefined;
  }

  function grant(form: URLSearchParams, basic: { id: string; secret: string } | undefined): { status: number; body: Record<string, unknown>; record: GrantRequest } {
    const grantType = form.get('grant_type') ?? '';
    const clientId = basic?.id ?? form.get('client_id') ?? '';
    const secret = basic?.secret ?? form.get('client_secret') ?? '';
    const record: GrantRequest = { grantType, clientId, scope: form.get('scope') ?? '', status: 0, ...(form.has('refresh_token') ? { refreshToken: form.get('refresh_token') ?? '' } : {}) };
    const fail = (status: number, error: string, description: string) => ({ status, body: { error, error_description: description }, record: { ...record, status, error } });

    if (outage !== undefined) return fail(outage, 'temporarily_unavailable', 'The service is temporarily unavailable.');
    const client = registered.get(clientId);
    // Microsoft answers 401 invalid_client (AADSTS7000215) for a wrong secret, Google 401 as well.
    if (!client || refused.has(clientId) || client.clientSecret !== secret) return fail(401, 'invalid_client', 'Invalid client secret provided, or the client is unknown or disabled.');
    if (grantType === 'client_credentials') {
      if (!client.clientSecret) return fail(400, 'unauthorized_client', 'A public client cannot use the client_credentials grant.');
    } else if (grantType === 'refresh_token') {
      if (!client.refreshToken || form.get('refresh_token') !== client.refreshToken) return fail(400, 'invalid_grant', 'The refresh token has expired, was revoked, or belongs to another client.');
    } else {
      return fail(400, 'unsupported_grant_type', `grant_type ${grantType || '(none)'} is not supported.`);
    }
    const accessToken = randomBytes(24).toString('base64url');
    issued.set(accessToken, { token: accessToken, clientId, user: client.user, expiresAt: Date.now() + lifetime * 1000, revoked: false });
    const body: Record<string, unknown> = { token_type: 'Bearer', access_token: accessToken, expires_in: lifetime, scope: record.scope };
    if (grantType === 'refresh_token' && rotate) {
      client.refreshToken = randomBytes(24).toString('base64url');
      body.refresh_token = client.refreshToken;
    }
    return { status: 200, body, record: { ...record, status: 200, accessToken, expiresIn: lifetime } };
  }

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => {
        const form = new URLSearchParams(raw);
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(body));
        };
        if (req.method === 'POST' && req.url === '/token') {
          const result = grant(form, basicAuth(req));
          grantRecording.record(result.record);
          return answer(result.status, result.body);
        }
        if (req.method === 'POST' && req.url === '/introspect') {
          const token = form.get('token') ?? '';
          const found = activeToken(token);
          introspections.push({ token, active: Boolean(found), ...(found ? { username: found.user } : {}) });
          return answer(200, found ? { active: true, username: found.user, client_id: found.clientId, token_type: 'Bearer', exp: Math.floor(found.expiresAt / 1000) } : { active: false });
        }
        answer(404, { error: 'not_found' });
      },
      () => res.destroy(),
    );
  });

  const boundPort = await listenOnLoopback(server, port, { what: 'token server', addressOf: () => server.address() });
  const url = `http://127.0.0.1:${boundPort}`;

  return {
    url,
    tokenUrl: `${url}/token`,
    introspectionUrl: `${url}/introspect`,
    grants: grantRecording.items,
    introspections,
    waitForGrants: grantRecording.waitFor,
    refuseClient: (clientId) => void refused.add(clientId),
    acceptClient: (clientId) => void refused.delete(clientId),
    setTokenLifetime: (seconds) => void (lifetime = seconds),
    setRotateRefreshTokens: (value) => void (rotate = value),
    currentRefreshToken: (clientId) => registered.get(clientId)?.refreshToken,
    setOutage: (status) => void (outage = status),
    expireIssuedTokens() {
      for (const token of issued.values()) token.revoked = true;
    },
    isActive: (token) => activeToken(token) !== undefined,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function basicAuth(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
