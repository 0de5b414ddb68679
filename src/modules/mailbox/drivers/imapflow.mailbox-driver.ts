/**
 * The IMAP mailbox behind the `Mailbox` type, with imapflow. One connection at a time, used serially by
 * the intake loop; every operation is bounded by a timeout and fails with a coded, retryable error, so a
 * hung or vanished server never stalls the loop (zammad#2321) and the next `open()` starts afresh.
 */
import type { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { createError, isTicketdError, type TicketdError } from '../../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../../shared/logger.js';
import type { TokenSource } from '../../oauth2/oauth2.token-provider.js';
import type { Mailbox, News, RawMessage } from '../mailbox.types.js';

/** Our own keyword, so a human (or another tool) can tell which mail ticketd has handled. */
export const PROCESSED_KEYWORD = '$Ticketd';

export type ImapflowMailboxOptions = {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  /** Log in with XOAUTH2/OAUTHBEARER instead of the password: a token is asked for right before every connection. */
  oauth2?: TokenSource;
  /** The folder to read, usually INBOX. */
  mailbox: string;
  /** Handled mail is moved here; without it, handled mail stays and gets \Seen and $Ticketd. */
  processedFolder?: string;
  /** Upper bound for any single operation, a whole message download included. */
  commandTimeoutMs?: number;
  /** Upper bound for connecting, greeting and login. */
  connectTimeoutMs?: number;
  /** waitForNews resolves after this long even without news, so the caller re-syncs and IDLE restarts. */
  maxIdleMs?: number;
  logger?: Logger;
};

export function createImapflowMailbox({
  host,
  port,
  secure,
  user,
  password,
  oauth2,
  mailbox,
  processedFolder,
  commandTimeoutMs = 60_000,
  connectTimeoutMs = 30_000,
  maxIdleMs = 5 * 60_000,
  logger = createSilentLogger(),
}: ImapflowMailboxOptions): Mailbox {
  const log = logger.child({ component: 'mailbox', host, port, mailbox });
  let client: ImapFlow | undefined;
  // Set by the server's EXISTS growth, cleared when a pass's first listing starts: news that arrived while no one
  // was waiting (during a fetch or a move) must still wake the next waitForNews (imapflow#13). The moment of the
  // first such EXISTS (monotonic clock), for the message's stage trace.
  let newsSince: number | undefined;
  const wakers = new Set<() => void>();
  let processedFolderReady = false;

  function wakeAll() {
    for (const wake of wakers) wake();
  }

  function connectedClient(): ImapFlow {
    if (!client || !client.usable) throw createError({ code: 'mailbox.closed', message: 'IMAP connection is not open', retryable: true });
    return client;
  }

  // imapflow cannot cancel a command in flight, so a timeout or an abort drops the whole connection:
  // its pending promises reject and the next open() builds a fresh client.
  async function bounded<T>(
    operation: string,
    timeoutMs: number,
    target: ImapFlow,
    run: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) throw createError({ code: 'mailbox.aborted', message: `IMAP ${operation} aborted`, retryable: true, cause: signal.reason });
    const work = run();
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(createError({ code: 'mailbox.timeout', message: `IMAP ${operation} timed out after ${timeoutMs} ms`, retryable: true }));
      }, timeoutMs);
      onAbort = () => reject(createError({ code: 'mailbox.aborted', message: `IMAP ${operation} aborted`, retryable: true, cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, interrupted]);
    } catch (error) {
      const mapped = mapError(error, operation);
      if (mapped.code === 'mailbox.timeout' || mapped.code === 'mailbox.aborted') dropClient(target);
      throw mapped;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  function dropClient(target: ImapFlow) {
    target.close();
    if (client === target) client = undefined;
  }

  async function closeClient(target: ImapFlow) {
    if (client === target) client = undefined;
    if (!target.usable) return target.close();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)));
    try {
      await Promise.race([target.logout(), deadline]);
    } catch {
      // logout failing means the connection is gone anyway
    } finally {
      clearTimeout(timer);
      target.close();
    }
  }

  function buildClient(accessToken: string | undefined): ImapFlow {
    const fresh = new ImapFlow({
      host,
      port,
      secure,
      // imapflow picks OAUTHBEARER, else XOAUTH2, from the server's capabilities.
      auth: accessToken === undefined ? { user, pass: password } : { user, accessToken },
      logger: false,
      connectionTimeout: connectTimeoutMs,
      greetingTimeout: connectTimeoutMs,
    });
    // Must exist before connect(): an unhandled 'error' (e.g. a socket timeout) kills the process (imapflow#302).
    fresh.on('error', (error: Error) => log.warn({ err: error }, 'IMAP connection error'));
    fresh.on('close', () => {
      log.debug('IMAP connection closed');
      wakeAll();
    });
    fresh.on('exists', ({ count, prevCount }) => {
      if (count <= prevCount) return;
      newsSince ??= performance.now();
      wakeAll();
    });
    return fresh;
  }

  async function open({ signal }: { signal?: AbortSignal } = {}): Promise<{ uidValidity: string }> {
    // An ImapFlow instance is single-use; there is no reconnect (imapflow#64, #83).
    if (client) await closeClient(client);
    // A token per connection (the provider answers from its cache while the token has time left): tokens
    // last about an hour, and a reconnect after a rejected or expired one must not reuse it.
    const accessToken = oauth2 ? (await oauth2.getAccessToken({ signal })).accessToken : undefined;
    const fresh = buildClient(accessToken);
    client = fresh;
    let opened;
    try {
      await bounded('connect', connectTimeoutMs, fresh, () => fresh.connect(), signal);
      opened = await bounded('open mailbox', commandTimeoutMs, fresh, () => fresh.mailboxOpen(mailbox), signal);
    } catch (error) {
      dropClient(fresh);
      if (accessToken !== undefined && isTicketdError(error) && error.code === 'mailbox.auth_failed') {
        oauth2?.invalidate(accessToken);
        throw createError({
          code: 'mailbox.auth_failed',
          message: `${error.message}: the server refused the OAuth2 access token for ${user}; the next connection asks for a new one (check that ${user} is the mailbox the token grants, and the app's IMAP permission)`,
          retryable: false,
          cause: error.cause,
          details: { oauth2: true },
        });
      }
      throw error;
    }
    newsSince = undefined;
    log.info({ uidValidity: String(opened.uidValidity), exists: opened.exists }, 'IMAP mailbox opened');
    // UIDVALIDITY is a bigint in imapflow; it is stored and compared as text.
    return { uidValidity: String(opened.uidValidity) };
  }

  async function listNewUids({ afterUid, throughUid, answersNews = false, signal }: { afterUid: number; throughUid?: number; answersNews?: boolean; signal?: AbortSignal }) {
    const current = connectedClient();
    // Dovecot answers a FETCH from the view it had when the command began and reports mail it noticed meanwhile
    // (EXISTS) only at its end; that news survives this listing and wakes the next waitForNews at once.
    if (answersNews) newsSince = undefined;
    // fetchAll collects before returning: nothing else may run while a FETCH streams (imapflow#110, #147).
    const messages = await bounded(
      'list',
      commandTimeoutMs,
      current,
      () => current.fetchAll(`${afterUid + 1}:${throughUid ?? '*'}`, { uid: true, size: true }, { uid: true }),
      signal,
    );
    // `N:*` always matches the newest message, even when its UID is below N (imapflow#93, #270).
    return messages
      .filter((message) => message.uid > afterUid && (throughUid === undefined || message.uid <= throughUid))
      .map((message) => ({ uid: message.uid, size: message.size ?? 0 }))
      .sort((a, b) => a.uid - b.uid);
  }

  async function fetchMany({ uids, signal }: { uids: number[]; signal?: AbortSignal }): Promise<RawMessage[]> {
    if (uids.length === 0) return [];
    const current = connectedClient();
    const wanted = new Set(uids);
    // `source` is fetched as BODY.PEEK[], which leaves \Seen alone. fetchAll collects before returning: nothing
    // else may run on the connection while a FETCH streams (imapflow#110, #147).
    const messages = await bounded(
      'fetch',
      commandTimeoutMs,
      current,
      () => current.fetchAll(uids.join(','), { uid: true, size: true, source: true }, { uid: true }),
      signal,
    );
    return messages
      .filter((message) => wanted.has(message.uid) && message.source !== undefined)
      .map((message) => ({ uid: message.uid, size: message.size ?? message.source?.length ?? 0, source: message.source as Buffer }))
      .sort((a, b) => a.uid - b.uid);
  }

  /**
   * Streams one message's raw source into `consume` (e.g. the raw store) without holding it in memory.
   * `consume` must read the stream to its end: no other command may run while it flows (imapflow#110).
   */
  async function downloadRaw<T>({ uid, signal, consume }: { uid: number; signal?: AbortSignal; consume: (source: Readable) => Promise<T> }): Promise<T> {
    const current = connectedClient();
    return bounded(
      'download',
      commandTimeoutMs,
      current,
      async () => {
        // 1 MiB chunks: the default 64 KiB needs hundreds of round trips for a big mail.
        const download = await current.download(String(uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
        if (!download?.content) {
          throw createError({ code: 'mailbox.message_missing', message: `message uid ${uid} is not in ${mailbox}`, retryable: false, details: { uid } });
        }
        return consume(download.content);
      },
      signal,
    );
  }

  async function markProcessed({ uids }: { uids: number[] }): Promise<void> {
    if (uids.length === 0) return;
    const current = connectedClient();
    const range = uids.join(',');
    if (processedFolder) {
      const folder = processedFolder;
      if (!processedFolderReady) {
        // Answers { created: false } when the folder exists already.
        await bounded('create folder', commandTimeoutMs, current, () => current.mailboxCreate(folder));
        processedFolderReady = true;
      }
      const moved = await bounded('move', commandTimeoutMs, current, () => current.messageMove(range, folder, { uid: true }));
      if (!moved) log.warn({ uids }, 'messages to mark as processed were no longer in the mailbox');
      return;
    }
    const flagged = await bounded('flag', commandTimeoutMs, current, () =>
      current.messageFlagsAdd(range, ['\\Seen', PROCESSED_KEYWORD], { uid: true }),
    );
    if (!flagged) log.warn({ uids }, 'messages to mark as processed were not flagged');
  }

  async function waitForNews({ signal }: { signal: AbortSignal }): Promise<News> {
    const current = client;
    if (signal.aborted || !current || !current.usable) return {};
    if (newsSince !== undefined) {
      const heardAt = newsSince;
      newsSince = undefined;
      return { heardAt };
    }
    // Auto-IDLE only starts after 15 s of quiet; start it now so news arrives right away. The promise
    // settles when the next command breaks IDLE or the connection drops, both handled elsewhere.
    current.idle({ whenFree: true }).catch(() => undefined);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, maxIdleMs);
    wakers.add(wake);
    signal.addEventListener('abort', wake, { once: true });
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      wakers.delete(wake);
      signal.removeEventListener('abort', wake);
    }
    const heardAt = newsSince;
    newsSince = undefined;
    return heardAt === undefined ? {} : { heardAt };
  }

  async function close(): Promise<void> {
    if (client) await closeClient(client);
    wakeAll();
  }

  return { open, listNewUids, fetchMany, downloadRaw, markProcessed, waitForNews, close };
}

const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT', 'LockTimeout']);
const CLOSED_CODES = new Set(['NoConnection', 'EConnectionClosed', 'StateLogout', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS']);

function mapError(error: unknown, operation: string): TicketdError {
  if (isTicketdError(error)) return error;
  const details = error as { code?: string; authenticationFailed?: boolean; mailboxMissing?: boolean; responseText?: string };
  const code = details?.code;
  const message = `IMAP ${operation} failed: ${details?.responseText ?? (error instanceof Error ? error.message : String(error))}`;
  if (details?.authenticationFailed) return createError({ code: 'mailbox.auth_failed', message, retryable: false, cause: error });
  if (details?.mailboxMissing) return createError({ code: 'mailbox.not_found', message, retryable: false, cause: error });
  if (code && TIMEOUT_CODES.has(code)) return createError({ code: 'mailbox.timeout', message, retryable: true, cause: error });
  if (code && CLOSED_CODES.has(code)) return createError({ code: 'mailbox.closed', message, retryable: true, cause: error });
  if (code && RETRYABLE_NETWORK_CODES.has(code)) return createError({ code: 'mailbox.connect_failed', message, retryable: true, cause: error });
  // A NO/BAD to an ordinary command is usually a transient server condition; a fresh connection is
  // the cure, and the caller's backoff bounds the retries.
  return createError({ code: 'mailbox.command_failed', message, retryable: true, cause: error });
}
