import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.schema.js';
import { createSmtpMailSender } from '../modules/mail-out/drivers/smtp.mail-driver.js';
import { deskMailboxes } from '../modules/desk/mailboxes.models.js';
import { createImapflowMailbox } from '../modules/mailbox/drivers/imapflow.mailbox-driver.js';
import { checkLmtp } from './doctor.lmtp.js';
import { createTokenSources } from '../modules/oauth2/oauth2.config.js';
import { keyWithEnv } from '../modules/oauth2/oauth2.models.js';
import type { TokenSource } from '../modules/oauth2/oauth2.token-provider.js';
import { closeDatabase } from '../shared/db.js';
import { describeError } from '../shared/errors.js';
import { checkDatabase } from './readiness.js';
import { describeDatabase, openConfiguredDatabase } from './database.js';

export type Verdict = 'ok' | 'warn' | 'fail';
export type DoctorCheck = { name: string; verdict: Verdict; detail: string; hint: string };

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * `ticketd doctor`: every outside dependency of the daemon tried once, each with a verdict and what to do
 * about it. Nothing is sent: IMAP logs in and opens the folder, SMTP says EHLO and logs in, the pager's host
 * answers one HTTP request that is not an event, the LMTP listener's address is asked who answers there
 * (`doctor.lmtp.ts`). With OAuth2, the token endpoint is asked first (its own
 * check), then the login is tried with that token. Errors are described from their messages, never with the
 * config, so no password, client secret, token or routing key is printed.
 */
export async function runDoctor({ config, timeoutMs = 10_000 }: { config: Config; timeoutMs?: number }): Promise<DoctorCheck[]> {
  const tokens = createTokenSources({ config: withTimeout(config, timeoutMs) });
  const imapConfig = config.imap;
  const [imap, lmtp, smtp, pager] = await Promise.all([
    // Without an imap section mail arrives over LMTP only (the schema allows that only with lmtp.port set).
    imapConfig ? withTokenCheck('imap', tokens.imap, timeoutMs, (token) => checkImapFolders(config, imapConfig, timeoutMs, token)) : [],
    config.lmtp.port > 0 ? checkLmtp(config.lmtp, timeoutMs).then((check) => [check]) : [],
    withTokenCheck('smtp', tokens.smtp, timeoutMs, async (token) => [await checkSmtp(config, timeoutMs, token)]),
    checkPager(config, timeoutMs),
  ]);
  return [...imap, ...lmtp, ...smtp, pager, ...(await checkDatabaseAndDisk(config))];
}

// The doctor's --timeout bounds the token request as well.
function withTimeout(config: Config, timeoutMs: number): Config {
  const timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const imap = config.imap ? { ...config.imap, oauth2: { ...config.imap.oauth2, timeoutSeconds } } : undefined;
  return { ...config, imap, smtp: { ...config.smtp, oauth2: { ...config.smtp.oauth2, timeoutSeconds } } };
}

/** `imap-token` / `smtp-token` before the login check when the server uses OAuth2; the login is not tried without a token. */
async function withTokenCheck(server: 'imap' | 'smtp', source: TokenSource | undefined, timeoutMs: number, login: (token: TokenSource | undefined) => Promise<DoctorCheck[]>): Promise<DoctorCheck[]> {
  if (!source) return login(undefined);
  const name = `${server}-token`;
  try {
    const { expiresAt } = await source.getAccessToken({ signal: AbortSignal.timeout(timeoutMs * 2) });
    const minutes = Math.round((expiresAt.getTime() - Date.now()) / 60_000);
    const token: DoctorCheck = { name, verdict: 'ok', detail: `the token endpoint issued an access token (valid for ${minutes} min)`, hint: '' };
    return [token, ...(await login(source))];
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const keys = (...names: string[]) => names.map((key) => keyWithEnv(`${server}.oauth2.${key}`)).join(' and ');
    const hint =
      code === 'oauth2.invalid_client'
        ? `the token endpoint refused the client: check ${keys('clientId', 'clientSecret')}`
        : code === 'oauth2.invalid_grant'
          ? `the token endpoint refused the grant: check ${keys('refreshToken')} (a refresh token expires or is revoked; get a new one) and the tenant in ${server}.oauth2.tokenUrl`
          : code === 'oauth2.invalid_scope'
            ? `the token endpoint refused the scope: check ${keys('scope')}`
            : code === 'oauth2.unauthorized_client'
              ? `the client may not use this grant: check ${keys('grant')} and the app registration`
              : code === 'oauth2.unavailable'
                ? 'the token endpoint had a temporary failure: try again later'
                : networkHint(describeError(error), `${server}.oauth2.tokenUrl`, 'a proxy or firewall in between');
    return [
      { name, verdict: 'fail', detail: describeError(error), hint },
      { name: server, verdict: 'fail', detail: 'login not tried: no access token', hint: `fix ${name} first` },
    ];
  }
}

/** One check per mailbox (imap.mailboxes), each logging in and opening its folder: `imap`, or `imap NAME` for a listed one. */
async function checkImapFolders(config: Config, imap: NonNullable<Config['imap']>, timeoutMs: number, oauth2: TokenSource | undefined): Promise<DoctorCheck[]> {
  const listed = imap.mailboxes.length > 0;
  return Promise.all(deskMailboxes(config).map((desk) => checkImap(imap, desk.folder, listed ? `imap ${desk.name}` : 'imap', listed ? `imap.mailboxes (${desk.name}).folder` : 'imap.mailbox', timeoutMs, oauth2)));
}

async function checkImap(imap: NonNullable<Config['imap']>, folder: string, name: string, folderKey: string, timeoutMs: number, oauth2: TokenSource | undefined): Promise<DoctorCheck> {
  const { host, port, user } = imap;
  const mailbox = createImapflowMailbox({ ...imap, mailbox: folder, oauth2, processedFolder: undefined, connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
  try {
    const { uidValidity } = await mailbox.open({ signal: AbortSignal.timeout(timeoutMs * 2) });
    return { name, verdict: 'ok', detail: `logged in to ${host}:${port} as ${user}, opened ${folder} (UIDVALIDITY ${uidValidity})`, hint: '' };
  } catch (error) {
    const text = describeError(error);
    const code = (error as { code?: string }).code ?? '';
    const hint =
      code === 'mailbox.auth_failed' && oauth2
        ? `the server refused the OAuth2 token: check that imap.user (${user}) is the mailbox the app may open (Microsoft 365: IMAP.AccessAsApp and an Exchange mailbox permission for its service principal; Google: the account that granted the refresh token) and imap.oauth2.scope`
        : code === 'mailbox.auth_failed'
        ? 'the server refused the login: check imap.user and imap.password (TICKETD_IMAP_PASSWORD); Microsoft 365 and Google need an app password or OAuth2 (imap.auth)'
        : code === 'mailbox.not_found'
          ? `the folder ${folder} does not exist for ${user}: check ${folderKey}`
          : networkHint(text, 'imap.host and imap.port', 'imap.secure (993 is TLS, 143 plain or STARTTLS)');
    return { name, verdict: 'fail', detail: `${host}:${port}: ${text}`, hint };
  } finally {
    await mailbox.close().catch(() => undefined);
  }
}

async function checkSmtp(config: Config, timeoutMs: number, oauth2: TokenSource | undefined): Promise<DoctorCheck> {
  const { host, port, user } = config.smtp;
  const sender = createSmtpMailSender({ ...config.smtp, oauth2, timeoutsMs: { connection: timeoutMs, greeting: timeoutMs, socket: timeoutMs } });
  const name = 'smtp';
  try {
    await sender.verify();
    return { name, verdict: 'ok', detail: `${host}:${port} accepted ${user ? `the login of ${user}` : 'the connection (no login configured)'}`, hint: '' };
  } catch (error) {
    const text = describeError(error);
    const hint = /auth|535|534|credentials|login/i.test(text)
      ? oauth2
        ? `the server refused the OAuth2 token: check that smtp.user (${user}) is the mailbox the app may send as (Microsoft 365: SMTP.SendAsApp and SMTP AUTH enabled for the mailbox; Google: the account that granted the refresh token) and smtp.oauth2.scope`
        : 'the server refused the login: check smtp.user and smtp.password (TICKETD_SMTP_PASSWORD)'
      : networkHint(text, 'smtp.host and smtp.port', 'smtp.secure (465 is TLS from the start, 587 STARTTLS)');
    return { name, verdict: 'fail', detail: `${host}:${port}: ${text}`, hint };
  } finally {
    sender.close();
  }
}

async function checkPager(config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const name = 'pager';
  if (config.pager.kind === 'none') return { name, verdict: 'warn', detail: 'pager.kind is none', hint: 'new tickets page nobody: set pager.kind and pager.routingKey' };
  if (config.pager.kind !== 'pagerduty') return { name, verdict: 'warn', detail: `pager.kind ${config.pager.kind} is not implemented yet`, hint: 'use pagerduty or none' };
  const origin = new URL(config.pager.url).origin;
  try {
    // The origin, not the events endpoint: any answer proves DNS, TCP and TLS work, and no event is raised.
    const response = await fetch(origin, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { name, verdict: 'ok', detail: `${origin} answered HTTP ${response.status} (no event sent)`, hint: '' };
  } catch (error) {
    const text = describeError(error);
    return { name, verdict: 'fail', detail: `${origin}: ${text}`, hint: networkHint(text, 'pager.url', 'a proxy or firewall in between') };
  }
}

async function checkDatabaseAndDisk(config: Config): Promise<DoctorCheck[]> {
  const file = config.database.path;
  const name = describeDatabase(config);
  let database: DoctorCheck;
  try {
    // Opening applies pending migrations, as the daemon would at start-up.
    const db = await openConfiguredDatabase(config);
    try {
      const verdict = await checkDatabase(db);
      database = verdict.ok
        ? { name: 'database', verdict: 'ok', detail: `${name}: ${verdict.detail}`, hint: '' }
        : { name: 'database', verdict: 'fail', detail: `${name}: ${verdict.detail}`, hint: config.database.url ? 'ticketd needs a PostgreSQL primary it may write to (check the URL, the user and its grants)' : 'the user running ticketd must be able to write the database file and its folder' };
    } finally {
      await closeDatabase(db);
    }
  } catch (error) {
    database = { name: 'database', verdict: 'fail', detail: `${name}: ${describeError(error)}`, hint: config.database.url ? 'check database.url (TICKETD_DATABASE_URL): host, port, user, database, and that PostgreSQL accepts the connection' : 'check database.path and the permissions of its folder' };
  }
  // Where the stores are written: storage.path, else beside database.path (on PostgreSQL without storage.path, this
  // instance's copies of the blobs). The nearest folder that exists: the stores may not be there before the first start.
  const folder = nearestExisting(path.resolve(config.storage.path || path.join(path.dirname(file), 'store')));
  let disk: DoctorCheck;
  try {
    const stats = statfsSync(folder);
    const free = stats.bavail * stats.bsize;
    const share = stats.blocks > 0 ? stats.bavail / stats.blocks : 1;
    const detail = `${formatBytes(free)} free (${Math.round(share * 100)} %) under ${folder}`;
    disk =
      free < 100 * MiB
        ? { name: 'disk', verdict: 'fail', detail, hint: 'less than 100 MiB free: raw mail and attachments are stored here; free space or move storage.path' }
        : free < GiB || share < 0.05
          ? { name: 'disk', verdict: 'warn', detail, hint: 'less than 1 GiB or 5 % free: every inbound mail is kept in the raw store' }
          : { name: 'disk', verdict: 'ok', detail, hint: '' };
  } catch (error) {
    disk = { name: 'disk', verdict: 'fail', detail: `${folder}: ${describeError(error)}`, hint: 'check storage.path and database.path' };
  }
  return [database, disk];
}

function nearestExisting(folder: string): string {
  let current = folder;
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function networkHint(text: string, keys: string, extra: string): string {
  if (/ECONNREFUSED/.test(text)) return `nothing listens there: check ${keys}, and that the server is running`;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `the host name does not resolve: check ${keys} and DNS`;
  if (/timed? ?out|ETIMEDOUT|TimeoutError/i.test(text)) return `no answer in time: a firewall may drop the connection; check ${keys} and ${extra}`;
  if (/certificate|TLS|SSL|wrong version/i.test(text)) return `TLS failed: check ${extra}`;
  return `check ${keys} and ${extra}`;
}

function formatBytes(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}
