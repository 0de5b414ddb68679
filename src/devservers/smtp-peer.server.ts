/**
 * A local SMTP peer on 127.0.0.1 for tests and the demo: accepts any mail (and any password login), records
 * what arrived, and can be told to answer with an error code to simulate a greylisting or rejecting server.
 * Given an introspection URL it also offers XOAUTH2 and accepts a token only when the authorization server
 * says it is active and issued for the user logging in, as Microsoft's and Google's servers do.
 */
import type { AddressObject, ParsedMail } from 'mailparser';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerError, type SMTPServerSession } from 'smtp-server';
import { listenOnLoopback } from './listen.js';
import { createRecording } from './recording.js';

export type ReceivedMail = {
  envelopeFrom: string;
  envelopeTo: string[];
  /** The user the client logged in as, when it did. */
  authUser?: string;
  raw: Buffer;
  parsed: {
    /** Message ids are without angle brackets, like everywhere else in ticketd. */
    messageId?: string;
    inReplyTo?: string;
    references: string[];
    subject: string;
    from: string;
    to: string[];
    text: string;
    /** The text/html part; empty when the mail has none. */
    html: string;
    /** Lower-cased header name -> raw unfolded value (the first one when a header repeats). */
    headers: Record<string, string>;
  };
  receivedAt: Date;
};

/**
 * What the responder is asked about. It runs at each stage of a transaction: `mail` (after MAIL FROM),
 * `rcpt` (once per RCPT TO, `rcpt` is the address asked for) and `data` (after the whole message).
 * `to` holds the recipients accepted so far.
 */
export type SmtpPeerEnvelope = { stage: 'mail' | 'rcpt' | 'data'; from: string; to: string[]; rcpt?: string };

/** Return an answer to refuse at that stage (e.g. 451 or 550), undefined to accept. */
export type SmtpPeerResponder = (envelope: SmtpPeerEnvelope) => { code: number; message: string } | undefined;

/** One AUTH attempt: the method, the user named, and whether it was accepted (the token itself is not kept). */
export type SmtpLogin = { method: string; user: string; accepted: boolean };

export type SmtpPeer = {
  host: '127.0.0.1';
  port: number;
  received: ReceivedMail[];
  logins: SmtpLogin[];
  setResponder(fn: SmtpPeerResponder | undefined): void;
  /** Resolves with the received mails once there are at least `count` of them. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  clear(): void;
  close(): Promise<void>;
};

const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export async function startSmtpPeer({ port = 0, oauth2IntrospectionUrl }: { port?: number; oauth2IntrospectionUrl?: string } = {}): Promise<SmtpPeer> {
  const logins: SmtpLogin[] = [];
  const recording = createRecording<ReceivedMail>({ describe: (got, wanted, ms) => `SMTP peer received ${got} of ${wanted} mails within ${ms} ms` });
  const received = recording.items;
  let responder: SmtpPeerResponder | undefined;

  // Calls the responder and turns its answer into the error smtp-server sends back as the reply.
  function refusal(envelope: SmtpPeerEnvelope): SMTPServerError | null {
    const answer = responder?.(envelope);
    if (!answer) return null;
    const error: SMTPServerError = new Error(answer.message);
    error.responseCode = answer.code;
    return error;
  }

  const envelopeOf = (session: SMTPServerSession) => ({
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
  });

  const server = new SMTPServer({
    logger: false,
    // Plain text on loopback only: no STARTTLS, any login accepted, login not required.
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    size: MAX_MESSAGE_BYTES,
    ...(oauth2IntrospectionUrl ? { authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'] } : {}),
    onAuth(auth, _session, callback) {
      const user = auth.username ?? 'anonymous';
      if (auth.method !== 'XOAUTH2' || !oauth2IntrospectionUrl) {
        logins.push({ method: auth.method, user, accepted: true });
        return callback(null, { user });
      }
      tokenOwner(oauth2IntrospectionUrl, auth.accessToken ?? '').then(
        (owner) => {
          const accepted = owner === user;
          logins.push({ method: auth.method, user, accepted });
          // Google's XOAUTH2 failure challenge; the client answers with an empty line and gets 535.
          callback(null, accepted ? { user } : { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    onMailFrom(address, session, callback) {
      callback(refusal({ stage: 'mail', ...envelopeOf(session), from: address.address }));
    },
    onRcptTo(address, session, callback) {
      callback(refusal({ stage: 'rcpt', ...envelopeOf(session), rcpt: address.address }));
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const error: SMTPServerError = new Error('Message exceeds fixed maximum message size');
          error.responseCode = 552;
          callback(error);
          return;
        }
        const envelope = envelopeOf(session);
        const refused = refusal({ stage: 'data', ...envelope });
        if (refused) {
          callback(refused);
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (mail) => {
            const authUser = typeof session.user === 'string' ? session.user : undefined;
            recording.record({ envelopeFrom: envelope.from, envelopeTo: envelope.to, authUser, raw, parsed: summarize(mail), receivedAt: new Date() });
            callback(null, 'Queued');
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });

  const boundPort = await listenOnLoopback(server, port, { what: 'SMTP peer', addressOf: () => server.server.address() });
  // After start-up a socket error (a client resetting) must not crash the test process.
  server.on('error', () => undefined);

  return {
    host: '127.0.0.1',
    port: boundPort,
    received,
    logins,
    setResponder(fn) {
      responder = fn;
    },
    waitFor: recording.waitFor,
    clear: recording.clear,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // smtp-server otherwise waits up to 30 s for idle pooled client connections to leave.
        for (const connection of server.connections) connection.close();
      });
    },
  };
}

/** Asks the authorization server (RFC 7662) whose the token is; undefined when it is not active. */
async function tokenOwner(introspectionUrl: string, token: string): Promise<string | undefined> {
  const response = await fetch(introspectionUrl, { method: 'POST', body: new URLSearchParams({ token }), signal: AbortSignal.timeout(5_000) });
  const answer = (await response.json()) as { active?: boolean; username?: string };
  return answer.active === true ? answer.username : undefined;
}

function summarize(mail: ParsedMail): ReceivedMail['parsed'] {
  const references = mail.references === undefined ? [] : ([] as string[]).concat(mail.references);
  return {
    messageId: mail.messageId === undefined ? undefined : unbracket(mail.messageId),
    inReplyTo: mail.inReplyTo === undefined ? undefined : unbracket(mail.inReplyTo),
    references: references.flatMap((value) => value.split(/\s+/)).filter(Boolean).map(unbracket),
    subject: mail.subject ?? '',
    from: addresses(mail.from)[0] ?? '',
    to: addresses(mail.to),
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : '',
    headers: headersOf(mail),
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  return ([] as AddressObject[])
    .concat(field)
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .map((entry) => entry.address ?? '')
    .filter(Boolean);
}

// Raw values, unfolded, like InboundMessage.headers: tests see what went over the wire (an encoded word
// stays encoded); the decoded subject and addresses are in the fields above.
function headersOf(mail: ParsedMail): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of mail.headerLines) {
    if (Object.hasOwn(headers, key)) continue;
    headers[key] = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  }
  return headers;
}

function unbracket(id: string): string {
  return id.trim().replace(/^<|>$/g, '');
}
