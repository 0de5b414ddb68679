/**
 * A throwaway Dovecot (Debian `dovecot-imapd` 2.3) on 127.0.0.1 for tests and the local demo: its own
 * config, sockets, state, log and maildirs under one temp folder, plaintext auth from a passwd-file.
 * Restarting on the same folder keeps UIDVALIDITY and UIDs, so tests can simulate a server outage.
 */
import { spawn, execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { findFreePort } from './listen.js';

const DOVECOT_BIN = '/usr/sbin/dovecot';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

export type DovecotUser = { user: string; password: string };

/**
 * OAuth2 logins besides the passwd-file users: Dovecot's `oauth2` passdb checks every XOAUTH2 / OAUTHBEARER
 * token by POSTing it to `introspectionUrl` (RFC 7662) and accepts it while the answer says `active: true`
 * and its `username` is the login name.
 */
export type DovecotOAuth2 = { introspectionUrl: string };

export type DovecotServer = {
  host: '127.0.0.1';
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Starts again on the same dir and port: UIDVALIDITY and UIDs are kept. */
  start(): Promise<void>;
  /** stop() and remove the dir. */
  destroy(): Promise<void>;
};

export async function startDovecot({
  dir,
  port,
  users,
  oauth2,
}: {
  dir?: string;
  port?: number;
  users: DovecotUser[];
  oauth2?: DovecotOAuth2;
}): Promise<DovecotServer> {
  // Said plainly: without the package the spawn below fails with a bare ENOENT.
  if (!existsSync(DOVECOT_BIN)) throw new Error(`Dovecot is not installed (no ${DOVECOT_BIN}): apt-get install -y dovecot-imapd (the tests and the demo start their own Dovecot on 127.0.0.1)`);
  const root = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'ticketd-dovecot-')));
  const chosenPort = port ?? (await findFreePort());
  const owner = mailOwner();
  await writeLayout({ root, port: chosenPort, users, owner, oauth2 });

  const conf = path.join(root, 'dovecot.conf');
  let running = false;
  // If the test process dies without calling stop(), do not leave an orphaned daemon behind.
  const killOnExit = () => {
    const pid = readMasterPid(root);
    if (pid) signal(pid, 'SIGTERM');
  };

  async function start(): Promise<void> {
    if (running) return;
    try {
      await launch({ root, conf, port: chosenPort });
    } catch (error) {
      // A master that started but never greeted would otherwise outlive the test run.
      await promisify(execFile)(DOVECOT_BIN, ['-c', conf, 'stop']).catch(() => undefined);
      throw error;
    }
    running = true;
    process.on('exit', killOnExit);
  }

  async function stop(): Promise<void> {
    if (!running) return;
    const pid = readMasterPid(root);
    const stopping = promisify(execFile)(DOVECOT_BIN, ['-c', conf, 'stop']).catch(() => undefined);
    const stopped = () => failure(root, `Dovecot on port ${chosenPort} did not stop within ${STOP_TIMEOUT_MS} ms`);
    // A restart on the same base_dir is refused while the old master lives, so wait for it to exit.
    // `dovecot stop` itself polls slowly and returns ~1 s later; it is not awaited once the master is gone.
    if (pid) {
      await waitUntil(async () => !processAlive(pid), STOP_TIMEOUT_MS, stopped);
      // The 2.3 master exits without ending the imap sessions in progress, which would keep serving
      // their clients; a stopped test server must drop them like a real outage. They all live in the
      // session the master opened when it daemonized (session id = master pid).
      for (const leftover of sessionProcesses(pid)) signal(leftover, 'SIGTERM');
      await waitUntil(async () => sessionProcesses(pid).length === 0, STOP_TIMEOUT_MS, stopped);
    } else {
      await stopping;
    }
    await waitUntil(async () => !(await imapGreets(chosenPort)), STOP_TIMEOUT_MS, stopped);
    running = false;
    process.off('exit', killOnExit);
  }

  async function destroy(): Promise<void> {
    await stop();
    await rm(root, { recursive: true, force: true });
  }

  try {
    await start();
  } catch (error) {
    // the error already carries the log tail
    if (!dir) await rm(root, { recursive: true, force: true });
    throw error;
  }
  return { host: '127.0.0.1', port: chosenPort, dir: root, start, stop, destroy };
}

type MailOwner = { uid: number; gid: number; user: string; group: string };

// Dovecot refuses mail owned by root (uid 0 is below first_valid_uid), so as root mail belongs to
// `nobody`; as an ordinary user everything (including Dovecot's internal services) runs as that user.
function mailOwner(): MailOwner {
  if (process.getuid?.() === 0) return { uid: 65534, gid: 65534, user: 'nobody', group: 'nogroup' };
  const info = os.userInfo();
  const group = groupName(info.gid);
  return { uid: info.uid, gid: info.gid, user: info.username, group };
}

function groupName(gid: number): string {
  try {
    const line = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((entry) => entry.split(':')[2] === String(gid));
    return line?.split(':')[0] ?? String(gid);
  } catch {
    return String(gid);
  }
}

async function writeLayout({ root, port, users, owner, oauth2 }: { root: string; port: number; users: DovecotUser[]; owner: MailOwner; oauth2?: DovecotOAuth2 }) {
  const isRoot = process.getuid?.() === 0;
  // mkdtemp makes 0700; the auth process runs as the `dovecot` user and must traverse it to read passwd.
  await chmod(root, 0o755);
  const mailDir = path.join(root, 'mail');
  for (const sub of ['run', 'state', 'mail']) await mkdir(path.join(root, sub), { recursive: true });
  if (isRoot) await chown(mailDir, owner.uid, owner.gid);

  const passwd = users.map(({ user, password }) => `${user}:{PLAIN}${password}`).join('\n') + '\n';
  await writeFile(path.join(root, 'passwd'), passwd, { mode: 0o644 });

  // Running unprivileged, Dovecot cannot switch to its usual service users nor chroot the login process.
  const unprivileged = isRoot
    ? ''
    : `default_internal_user = ${owner.user}\ndefault_internal_group = ${owner.group}\ndefault_login_user = ${owner.user}\n`;
  const config = `# generated by ticketd's dovecot.server.ts
protocols = imap
listen = 127.0.0.1
base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
info_log_path = ${root}/dovecot.log
instance_name = ticketd-${port}
${unprivileged}ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${oauth2 ? ' xoauth2 oauthbearer' : ''}
auth_failure_delay = 0
# Processes still handshaking with the stats service when it exits first stall shutdown for 5 s.
stats_writer_socket_path =
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${root}/passwd
}
${oauth2 ? oauth2Passdb(root) : ''}userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${mailDir}/%u
}
mail_location = maildir:${mailDir}/%u
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
  await writeFile(path.join(root, 'dovecot.conf'), config, { mode: 0o644 });
  if (oauth2) await writeFile(path.join(root, 'dovecot-oauth2.conf.ext'), oauth2Args(oauth2), { mode: 0o644 });
}

// The mechanisms restrict each passdb: a token is never tried as a passwd-file password, and a password never
// sent to the introspection endpoint.
// The auth penalty (a login from an IP delayed 2, 4, 8, 15 s after failures) is off: the OAuth2 tests refuse a
// token on purpose and then log in again at once, as ticketd's reconnect does after fetching a new token.
function oauth2Passdb(root: string): string {
  return `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${root}/dovecot-oauth2.conf.ext
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

// Dovecot 2.3's oauth2 passdb (doc.dovecot.org/2.3/configuration_manual/authentication/oauth2): with no
// tokeninfo_url it goes straight to introspection; `post` sends `token=...` form-encoded.
function oauth2Args({ introspectionUrl }: DovecotOAuth2): string {
  return `# generated by ticketd's dovecot.server.ts
introspection_mode = post
introspection_url = ${introspectionUrl}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
`;
}

async function launch({ root, conf, port }: { root: string; conf: string; port: number }) {
  // dovecot daemonizes; a parent holding pipes to it would wait forever, so its output goes to a file.
  const outPath = path.join(root, 'dovecot.stdout');
  const out = openSync(outPath, 'a');
  let exitCode: number | null | undefined;
  try {
    const child = spawn(DOVECOT_BIN, ['-c', conf], { stdio: ['ignore', out, out], detached: true });
    child.on('exit', (code) => (exitCode = code));
    child.on('error', () => (exitCode = -1));
    child.unref();
  } finally {
    closeSync(out);
  }
  await waitUntil(
    async () => {
      if (exitCode !== undefined && exitCode !== 0) throw await failure(root, `dovecot exited with code ${exitCode}`);
      return imapGreets(port);
    },
    START_TIMEOUT_MS,
    () => failure(root, `Dovecot did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`),
  );
}

async function failure(root: string, message: string): Promise<Error> {
  const tail = async (file: string) =>
    (await readFile(path.join(root, file), 'utf8').catch(() => ''))
      .trimEnd()
      .split('\n')
      .slice(-20)
      .join('\n');
  return new Error(`${message}\n--- dovecot output ---\n${await tail('dovecot.stdout')}\n--- dovecot.log ---\n${await tail('dovecot.log')}`);
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, onTimeout: () => Promise<Error>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw await onTimeout();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readMasterPid(root: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(root, 'run', 'master.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// A zombie (exited, not yet reaped by init after dovecot daemonized) counts as gone.
function processAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function sessionProcesses(sessionId: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid pgrp session ...": comm may contain spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(session) === sessionId && state !== 'Z') members.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return members;
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

// Ready means greeting, not just listening: imap-login only greets once auth is up, and a probe that
// hangs up before that leaves login work behind that stalls a later shutdown by ~5 s.
function imapGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (chunk) => {
      if (!chunk.toString('latin1').startsWith('* OK')) return done(false);
      socket.end('a LOGOUT\r\n');
      socket.once('close', () => resolve(true));
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

type ImapTarget = { host: string; port: number; user: string; password: string };

async function withClient<T>({ host, port, user, password }: ImapTarget, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host, port, secure: false, auth: { user, pass: password }, logger: false });
  // Without a listener an 'error' event (e.g. a socket timeout) would crash the process (imapflow#302).
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** APPENDs a raw message from a separate connection; resolves with its UID when the server reports it (UIDPLUS). */
export async function appendMessage({
  mailbox = 'INBOX',
  raw,
  flags,
  ...target
}: ImapTarget & { mailbox?: string; raw: Buffer | string; flags?: string[] }): Promise<number | undefined> {
  return withClient(target, async (client) => {
    const result = await client.append(mailbox, raw, flags);
    return result ? result.uid : undefined;
  });
}

export async function createMailbox({ mailbox, ...target }: ImapTarget & { mailbox: string }): Promise<void> {
  await withClient(target, async (client) => {
    await client.mailboxCreate(mailbox);
  });
}

/** Deletes and recreates a folder, which gives it a new UIDVALIDITY. INBOX cannot be deleted this way in Dovecot. */
export async function recreateMailbox({ mailbox, ...target }: ImapTarget & { mailbox: string }): Promise<void> {
  await withClient(target, async (client) => {
    await client.mailboxDelete(mailbox).catch(() => undefined);
    await client.mailboxCreate(mailbox);
  });
}

/** Reads flags and UIDs of every message in a folder, for assertions. */
export async function listMessages({
  mailbox = 'INBOX',
  ...target
}: ImapTarget & { mailbox?: string }): Promise<Array<{ uid: number; flags: string[] }>> {
  return withClient(target, async (client) => {
    const opened = await client.mailboxOpen(mailbox, { readOnly: true });
    if (!opened.exists) return [];
    const messages = await client.fetchAll('1:*', { uid: true, flags: true });
    return messages.map((message) => ({ uid: message.uid, flags: [...(message.flags ?? [])] }));
  });
}
