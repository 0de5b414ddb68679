import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { stringify } from 'yaml';
import { appendMessage, startDovecot, type DovecotServer } from './dovecot.server.js';
import { startHttpReceiver, type HttpReceiver } from './http-receiver.server.js';
import { startOAuth2TokenServer, type OAuth2Client, type OAuth2TokenServer } from './oauth2-token.server.js';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.server.js';

export const LOCAL_MAILBOX = { user: 'help@cloudsoft.test', password: 'local-secret' };

/** The app registration of the local token server (with `oauth2: true`); its tokens open help@'s mailbox. */
export const LOCAL_OAUTH2_CLIENT: OAuth2Client = { clientId: 'ticketd-local', clientSecret: 'local-client-secret', user: LOCAL_MAILBOX.user, refreshToken: 'local-refresh-token' };

export type LocalStack = {
  dir: string;
  dovecot: DovecotServer;
  smtp: SmtpPeer;
  receiver: HttpReceiver;
  /** The token server Dovecot and the SMTP peer check OAuth2 tokens against (only with `oauth2: true`). */
  oauth2?: OAuth2TokenServer;
  /** A complete ticketd config (as a plain object) pointing at these servers; `overrides` are merged per section. */
  config(overrides?: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>>;
  /** Writes `config(overrides)` as YAML into the stack's dir and returns the file path. */
  writeConfig(name: string, overrides?: Record<string, Record<string, unknown>>): Promise<string>;
  /** APPENDs a raw message to help@'s INBOX (or `mailbox`), as a mail server delivering it would. */
  deliver(raw: Buffer | string, mailbox?: string): Promise<number | undefined>;
  /** APPENDs many messages over one connection, in order. */
  deliverMany(raws: Array<Buffer | string>, mailbox?: string): Promise<void>;
  imap: { host: string; port: number; user: string; password: string };
  close(): Promise<void>;
};

/**
 * Everything ticketd talks to, on loopback: Dovecot holding help@'s mailbox, an SMTP peer recording what
 * ticketd sends, an HTTP receiver standing in for PagerDuty. Used by the end-to-end tests and `npm run demo`.
 */
/** `databaseUrl`: the daemons' config names this PostgreSQL database instead of a SQLite file in the stack's folder. */
export async function startLocalStack({ dir, oauth2: withOAuth2 = false, databaseUrl }: { dir?: string; oauth2?: boolean; databaseUrl?: string } = {}): Promise<LocalStack> {
  const root = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'ticketd-stack-')));
  // Dovecot's auth process runs as its own user and must traverse the folders down to its config.
  await chmod(root, 0o755);
  await mkdir(path.join(root, 'dovecot'), { recursive: true });
  // Password logins keep working beside OAuth2: deliver() and the tests' own IMAP clients use them.
  const oauth2 = withOAuth2 ? await startOAuth2TokenServer({ clients: [LOCAL_OAUTH2_CLIENT] }) : undefined;
  const dovecot = await startDovecot({ dir: path.join(root, 'dovecot'), users: [LOCAL_MAILBOX], ...(oauth2 ? { oauth2: { introspectionUrl: oauth2.introspectionUrl } } : {}) });
  const smtp = await startSmtpPeer(oauth2 ? { oauth2IntrospectionUrl: oauth2.introspectionUrl } : {});
  const receiver = await startHttpReceiver();
  const imapTarget = { host: dovecot.host, port: dovecot.port, ...LOCAL_MAILBOX };

  function config(overrides: Record<string, Record<string, unknown>> = {}) {
    const base: Record<string, Record<string, unknown>> = {
      database: databaseUrl ? { url: databaseUrl } : { path: path.join(root, 'ticketd.sqlite') },
      imap: { host: dovecot.host, port: dovecot.port, secure: false, user: LOCAL_MAILBOX.user, password: LOCAL_MAILBOX.password, mailbox: 'INBOX', pollCron: '*/2 * * * * *' },
      smtp: { host: smtp.host, port: smtp.port, secure: false },
      support: { address: LOCAL_MAILBOX.user, name: 'Cloudsoft Support', ticketPrefix: 'CS', customerDomains: ['acme.test', 'globex.test'], engineerDomains: ['cloudsoft.test'], requireRegistration: false },
      // The local stack has no receiving MTA writing Authentication-Results; tests of sender checks override this.
      security: { senderAuth: 'off', replyTokenSecret: 'local-stack-reply-token-secret' },
      pager: { kind: 'pagerduty', url: `${receiver.url}/v2/enqueue`, routingKey: 'local-routing-key' },
      outbox: { pollSeconds: 1 },
      // Every severity pages at once, whatever the hour the tests or the demo run at (the business-hours
      // policy has its own tests with an injected clock).
      paging: { policy: { SEV1: 'always', SEV2: 'always', SEV3: 'always', SEV4: 'always' } },
      log: { level: 'info' },
    };
    for (const [section, values] of Object.entries(overrides)) base[section] = { ...base[section], ...values };
    // PostgreSQL instead of the SQLite file: the stores stay in the stack's folder.
    if (base.database?.url) base.database = { url: base.database.url };
    if (base.database?.url && !base.storage?.path) base.storage = { ...base.storage, path: path.join(root, 'store') };
    return base;
  }

  return {
    dir: root,
    dovecot,
    smtp,
    receiver,
    ...(oauth2 ? { oauth2 } : {}),
    config,
    async writeConfig(name, overrides) {
      const file = path.join(root, name);
      await writeFile(file, stringify(config(overrides)));
      return file;
    },
    deliver: (raw, mailbox = 'INBOX') => appendMessage({ ...imapTarget, mailbox, raw }),
    async deliverMany(raws, mailbox = 'INBOX') {
      const client = new ImapFlow({ host: imapTarget.host, port: imapTarget.port, secure: false, auth: { user: imapTarget.user, pass: imapTarget.password }, logger: false });
      client.on('error', () => undefined);
      await client.connect();
      try {
        for (const raw of raws) await client.append(mailbox, raw);
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
    imap: imapTarget,
    async close() {
      await Promise.allSettled([smtp.close(), receiver.close(), oauth2?.close()]);
      await dovecot.destroy();
      if (!dir) await rm(root, { recursive: true, force: true });
    },
  };
}
