/**
 * A throwaway Postfix (Debian `postfix` 3.x) on 127.0.0.1 for tests that need a real MTA in front of ticketd:
 * its own main.cf/master.cf, queue, data and log under one temp folder; the system Postfix is neither used nor
 * started. It accepts mail for `mailboxes` on its SMTP port and routes each by `transports` (e.g. help@ to
 * `lmtp:inet:127.0.0.1:PORT`); everything else (bounces to senders included) is discarded, there is no world
 * outside. Retries are fast (1-2 s) so a test can watch the queue hold a mail and deliver it later.
 *
 * Postfix's master is started directly (`master -c DIR -d`), not through `postfix -c DIR start`: a root-run
 * `postfix -c DIR` insists on DIR being listed in the system main.cf's alternate_config_directories, and a test
 * must not edit /etc. master itself only needs root (it switches to mail_owner), which it needs anyway.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { listenOnLoopback } from './listen.js';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

export type PostfixServer = {
  host: '127.0.0.1';
  /** Postfix's SMTP port on 127.0.0.1. */
  port: number;
  dir: string;
  /** Postfix's own log (every delivery attempt with its status and the answer it got). */
  log(): Promise<string>;
  /** Queue files of mail Postfix holds (incoming, active, deferred, hold): its queue ids. */
  queued(): Promise<string[]>;
  stop(): Promise<void>;
  /** stop() and remove the dir. */
  destroy(): Promise<void>;
};

/**
 * What this machine lacks to run Postfix, as a sentence that says how to get it; undefined when nothing is
 * missing. vitest.config.ts asks it to leave the `*.postfix.test.ts` files out (with this sentence) where
 * Postfix cannot run; startPostfix throws it.
 */
export function postfixMissing(): string | undefined {
  const daemonDir = postconf('daemon_directory');
  if (daemonDir === undefined) return 'Postfix is not installed (no postconf): install the Debian package, e.g. `apt-get install -y postfix` (as root; .ci/run does it with service starts forbidden)';
  if (!existsSync(path.join(daemonDir, 'master'))) return `Postfix's master is missing in ${daemonDir}: reinstall the Debian package postfix`;
  if (process.getuid?.() !== 0) {
    return "Postfix's master runs only as root ('the master command is reserved for the superuser'; it switches to its mail_owner itself): run the tests as root, e.g. `sudo -E npx vitest run test/lmtp.postfix.test.ts` (CI runs as root)";
  }
  if (userIds('postfix') === undefined) return 'the system user postfix is missing (the Debian package postfix creates it): reinstall postfix';
  return undefined;
}

export async function startPostfix({
  dir,
  port,
  domains,
  mailboxes,
  transports,
}: {
  dir?: string;
  port?: number;
  /** Domains Postfix receives mail for (virtual mailbox domains). */
  domains: string[];
  /** The addresses it accepts there (others are refused at RCPT, 550); plus-addresses of them too. */
  mailboxes: string[];
  /** Address (or domain) -> Postfix nexthop, e.g. `lmtp:inet:127.0.0.1:2424`. */
  transports: Record<string, string>;
}): Promise<PostfixServer> {
  const missing = postfixMissing();
  if (missing) throw new Error(`cannot start Postfix for this test: ${missing}`);
  const root = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'ticketd-postfix-')));
  const chosenPort = port ?? (await freeLoopbackPort());
  const daemonDir = postconf('daemon_directory') as string;
  await writeLayout({ root, port: chosenPort, domains, mailboxes, transports });

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killOnExit = () => child?.kill('SIGKILL');

  const out = openSync(path.join(root, 'master.out'), 'a');
  try {
    // -d: stay in the foreground as our child, so stopping it is a signal to a pid we own.
    child = spawn(path.join(daemonDir, 'master'), ['-c', path.join(root, 'etc'), '-d'], { stdio: ['ignore', out, out], detached: true });
  } finally {
    closeSync(out);
  }
  let exitCode: number | null | undefined;
  exited = new Promise<void>((resolve) =>
    child?.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  child.once('error', () => (exitCode = -1));
  process.on('exit', killOnExit);

  async function stop(): Promise<void> {
    if (!child || exitCode !== undefined) return;
    child.kill('SIGTERM'); // master stops its children and exits
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
    process.off('exit', killOnExit);
  }

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await smtpGreets(chosenPort))) {
      if (exitCode !== undefined) throw await failure(root, `Postfix's master exited with code ${exitCode}`);
      if (Date.now() > deadline) throw await failure(root, `Postfix did not greet on 127.0.0.1:${chosenPort} within ${START_TIMEOUT_MS} ms`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    if (!dir) await rm(root, { recursive: true, force: true });
    throw error;
  }

  return {
    host: '127.0.0.1',
    port: chosenPort,
    dir: root,
    log: () => readFile(path.join(root, 'postfix.log'), 'utf8').catch(() => ''),
    async queued() {
      const ids: string[] = [];
      for (const queue of ['incoming', 'active', 'deferred', 'hold']) {
        const entries = await readdir(path.join(root, 'queue', queue), { recursive: true, withFileTypes: true }).catch(() => []);
        ids.push(...entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
      }
      return ids;
    },
    stop,
    async destroy() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function writeLayout({ root, port, domains, mailboxes, transports }: { root: string; port: number; domains: string[]; mailboxes: string[]; transports: Record<string, string> }) {
  const owner = userIds('postfix') as { uid: number; gid: number };
  const postdrop = groupId('postdrop') ?? owner.gid;
  // Postfix's services run as `postfix` and must traverse the folder down to their queue and config.
  await chmod(root, 0o755);
  const etc = path.join(root, 'etc');
  const queue = path.join(root, 'queue');
  const data = path.join(root, 'data');
  for (const folder of [etc, queue, data]) await mkdir(folder, { recursive: true });
  // The queue layout of Debian's postfix-files: private queues owned by postfix, the two drop points by postdrop.
  for (const name of ['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace']) {
    await mkdir(path.join(queue, name), { mode: 0o700 });
    await chown(path.join(queue, name), owner.uid, 0);
  }
  for (const [name, mode] of [['maildrop', 0o730], ['public', 0o710]] as const) {
    await mkdir(path.join(queue, name));
    await chmod(path.join(queue, name), mode);
    await chown(path.join(queue, name), owner.uid, postdrop);
  }
  await mkdir(path.join(queue, 'pid'), { mode: 0o755 });
  await chown(data, owner.uid, owner.gid);

  await writeFile(path.join(etc, 'vmailbox'), mailboxes.map((address) => `${address} ok\n`).join(''));
  await writeFile(path.join(etc, 'transport'), Object.entries(transports).map(([address, nexthop]) => `${address} ${nexthop}\n`).join(''));
  await writeFile(
    path.join(etc, 'main.cf'),
    `# generated by ticketd's postfix.server.ts
compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.${domains[0] ?? 'localdomain'}
mydomain = ${domains[0] ?? 'localdomain'}
myorigin = $mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
alias_maps =
alias_database =
smtpd_peername_lookup = no
biff = no
recipient_delimiter = +
virtual_mailbox_domains = ${domains.join(', ')}
virtual_mailbox_maps = texthash:${etc}/vmailbox
virtual_transport = error:no mailbox here
transport_maps = texthash:${etc}/transport
# No world outside loopback: bounces to senders and anything else go nowhere.
default_transport = discard:no world outside the test
relay_transport = discard:no world outside the test
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maillog_file = ${root}/postfix.log
maillog_file_prefixes = ${root}
`,
  );
  // Debian's master.cf services, without chroot (the temp folder has no chroot jail) and with smtpd on our port.
  await writeFile(
    path.join(etc, 'master.cf'),
    `# generated by ticketd's postfix.server.ts
127.0.0.1:${port} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`,
  );
}

/** One parameter of the installed Postfix's compiled-in defaults; undefined when Postfix is not installed. */
function postconf(name: string): string | undefined {
  try {
    return execFileSync('postconf', ['-dh', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  const fields = getent('passwd', name);
  return fields ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

function groupId(name: string): number | undefined {
  const fields = getent('group', name);
  return fields ? Number(fields[2]) : undefined;
}

function getent(database: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    return execFileSync('getent', [database, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(':');
  } catch {
    return undefined;
  }
}

async function failure(root: string, message: string): Promise<Error> {
  const tail = async (file: string) =>
    (await readFile(path.join(root, file), 'utf8').catch(() => ''))
      .trimEnd()
      .split('\n')
      .slice(-20)
      .join('\n');
  // Postfix writes its fatal errors to its log, not to a terminal it does not have.
  return new Error(`${message}\n--- master output ---\n${await tail('master.out')}\n--- postfix.log ---\n${await tail('postfix.log')}`);
}

function smtpGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (chunk) => {
      const ok = chunk.toString('latin1').startsWith('220');
      if (!ok) return done(false);
      socket.end('QUIT\r\n');
      socket.once('close', () => resolve(true));
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** A port nothing listens on right now, for Postfix's smtpd to take. */
async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  const port = await listenOnLoopback(server, 0, { what: 'the port probe', addressOf: () => server.address() });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
