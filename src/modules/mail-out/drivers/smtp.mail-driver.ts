/**
 * Sends rendered mail over SMTP through one pooled nodemailer transport and maps nodemailer's errors to
 * TicketdErrors. nodemailer does not retry for us (and we stop its pool from requeueing): the outbox worker
 * retries retryable errors with backoff and the same Message-ID, so a receiver can spot duplicates.
 */
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import { createError, type TicketdError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { TokenSource } from '../../oauth2/oauth2.token-provider.js';
import type { MailSender, OutboundMail } from '../mail-out.types.js';

export type SmtpMailSenderOptions = {
  host: string;
  port: number;
  /** Implicit TLS (port 465). When false, STARTTLS is used if offered, except on loopback. */
  secure: boolean;
  user?: string;
  password?: string;
  /** Log in as `user` with XOAUTH2 instead of the password: every new pooled connection asks for a token. */
  oauth2?: TokenSource;
  logger?: Logger;
  timeoutsMs?: { connection?: number; greeting?: number; socket?: number };
  /**
   * Where an attachment's bytes are, by sha256 (the attachment store); needed only to relay attachments. Asked
   * when the mail is sent, so it may first fetch a file another instance stored (shared-blob-store.ts).
   */
  attachmentPath?: (sha256: string) => string | Promise<string>;
};

const DEFAULT_TIMEOUTS_MS = { connection: 15_000, greeting: 15_000, socket: 60_000 };

/** Codes of failures that are about the connection, not the message: a later attempt can succeed. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', // nodemailer's own
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', // node's
]);

export function createSmtpMailSender({ host, port, secure, user, password, oauth2, logger, timeoutsMs, attachmentPath = missingAttachmentStore }: SmtpMailSenderOptions): MailSender {
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...timeoutsMs };
  const transport = nodemailer.createTransport({
    pool: true,
    host,
    port,
    secure,
    auth: !user ? undefined : oauth2 ? { type: 'OAuth2', user } : { user, pass: password ?? '' },
    // A local relay on loopback often offers STARTTLS with a certificate that cannot verify.
    ignoreTLS: !secure && isLoopback(host),
    connectionTimeout: timeouts.connection,
    greetingTimeout: timeouts.greeting,
    socketTimeout: timeouts.socket,
    // The pool would otherwise reconnect up to 5 times, with its own short backoff, when a server hangs up
    // before greeting; one retry policy (the outbox's, recorded per attempt) is easier to reason about.
    maxRequeues: 0,
    // nodemailer logs every connection at info; we log outcomes ourselves.
    logger: false,
  });
  if (oauth2) transport.set('oauth2_provision_cb', provisionTokens(oauth2));

  async function send(mail: OutboundMail): Promise<{ response: string }> {
    try {
      // Streamed from the attachment store at send time: the outbox row holds only the digest.
      const attachments = mail.attachments && (await Promise.all(mail.attachments.map(async (file) => ({ filename: file.filename, contentType: file.contentType, path: await attachmentPath(file.sha256) }))));
      const info = await transport.sendMail({
        // Custom headers first: the standard fields below take precedence over a header of the same name.
        headers: mail.headers,
        from: mail.from,
        to: mail.to,
        cc: mail.cc,
        replyTo: mail.replyTo,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments,
        // Our id, never a generated one: it must stay the same across retries so threading and
        // duplicate detection work (RFC 5322 3.6.4).
        messageId: bracket(mail.messageId),
        inReplyTo: mail.inReplyTo ? bracket(mail.inReplyTo) : undefined,
        references: mail.references?.length ? mail.references.map(bracket).join(' ') : undefined,
        // Cc recipients must be in the envelope too; the envelope sender receives the bounces.
        envelope: { from: mail.envelopeFrom ?? mail.from, to: [...mail.to, ...(mail.cc ?? [])] },
      });
      if (info.rejected.length > 0) {
        // Some recipients refused, others accepted: retrying would duplicate mail for the accepted ones.
        logger?.warn({ messageId: mail.messageId, rejected: info.rejected }, 'SMTP server refused some recipients');
      }
      logger?.debug({ messageId: mail.messageId, response: info.response }, 'Mail sent');
      return { response: info.response };
    } catch (error) {
      throw toMailOutError(error);
    }
  }

  async function verify(): Promise<void> {
    try {
      await transport.verify();
    } catch (error) {
      throw toMailOutError(error);
    }
  }

  return { send, verify, close: () => transport.close() };
}

/** Maps a nodemailer error: SMTP 4xx and connection trouble are temporary, 5xx is a rejection. */
export function toMailOutError(error: unknown): TicketdError {
  const e = (error ?? {}) as NodemailerError;
  const details = { smtpCode: e.responseCode, command: e.command, response: e.response, errorCode: e.code };
  const code = e.responseCode;

  // A failed login is a configuration problem, not a property of this message: keep the message so it
  // goes out once the credentials are fixed (535 would otherwise read as a permanent rejection).
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    return createError({ code: 'mail_out.failed', retryable: true, cause: error, details });
  }
  if (typeof code === 'number' && code >= 400 && code < 500) {
    return createError({ code: 'mail_out.temporary', retryable: true, cause: error, details });
  }
  if (typeof code === 'number' && code >= 500 && code < 600) {
    // nodemailer marks 503 (bad sequence of commands) `permanent: false`: the session was out of step,
    // the message was not refused, and a new connection can deliver it.
    if (e.permanent === false) return createError({ code: 'mail_out.temporary', retryable: true, cause: error, details });
    return createError({ code: 'mail_out.rejected', retryable: false, cause: error, details });
  }
  if (CONNECTION_ERROR_CODES.has(e.code ?? '') || CONNECTION_ERROR_CODES.has(e.originalCode ?? '')) {
    return createError({ code: 'mail_out.temporary', retryable: true, cause: error, details });
  }
  return createError({ code: 'mail_out.failed', retryable: true, cause: error, details });
}

/**
 * nodemailer asks this callback for a token on every new connection (each pooled connection has its own
 * XOAuth2 instance without a token), and again with `renew` once the server refused the one it got.
 */
function provisionTokens(oauth2: TokenSource) {
  let lastHandedOut: string | undefined;
  return (_user: string, renew: boolean, callback: (error: Error | null, accessToken?: string, expires?: number) => void): void => {
    if (renew && lastHandedOut) oauth2.invalidate(lastHandedOut);
    oauth2.getAccessToken().then(
      ({ accessToken, expiresAt }) => {
        lastHandedOut = accessToken;
        callback(null, accessToken, expiresAt.getTime());
      },
      // A wrapper: nodemailer rewrites the code of the error it is given to EAUTH.
      (error: unknown) => callback(new Error(`no OAuth2 access token for SMTP: ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
    );
  };
}

function bracket(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function missingAttachmentStore(sha256: string): string {
  throw createError({ code: 'mail_out.no_attachment_store', message: `cannot attach ${sha256}: no attachment store configured`, retryable: false });
}
