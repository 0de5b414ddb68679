import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpPeer, type SmtpPeer } from '../../../devservers/smtp-peer.server.js';
import { isTicketdError, type TicketdError } from '../../../shared/errors.js';
import type { MailSender, OutboundMail } from '../mail-out.types.js';
import { createSmtpMailSender } from './smtp.mail-driver.js';

let peer: SmtpPeer;
let sender: MailSender;

const mail: OutboundMail = {
  from: 'Support <support@desk.test>',
  to: ['alice@customer.test'],
  cc: ['bob@customer.test'],
  subject: '[T-42] We received your request',
  text: 'Hello Alice,\nyour ticket is T-42.\n',
  messageId: 'ticketd.T-42.1@desk.test',
  inReplyTo: 'CAF00-original@customer.test',
  references: ['root@customer.test', 'CAF00-original@customer.test'],
  headers: { 'X-Ticketd-Ref': 'T-42', 'Auto-Submitted': 'auto-replied' },
  envelopeFrom: 'bounces@desk.test',
};

beforeAll(async () => {
  peer = await startSmtpPeer();
});
afterAll(async () => {
  await peer.close();
});
beforeEach(() => {
  peer.clear();
  peer.setResponder(undefined);
  sender = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false });
});
afterEach(() => {
  sender.close();
});

async function failure(promise: Promise<unknown>): Promise<TicketdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTicketdError(error)) throw new Error(`expected a TicketdError, got ${String(error)}`);
  return error;
}

async function withTcpServer(onSocket: (socket: Socket) => void, run: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run((server.address() as { port: number }).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('SMTP mail sender', () => {
  it('delivers a mail with our exact Message-ID, In-Reply-To, References and custom headers', async () => {
    await sender.send(mail);

    const [received] = await peer.waitFor(1);
    expect(received?.parsed).toMatchObject({
      messageId: 'ticketd.T-42.1@desk.test',
      inReplyTo: 'CAF00-original@customer.test',
      references: ['root@customer.test', 'CAF00-original@customer.test'],
      subject: '[T-42] We received your request',
      from: 'support@desk.test',
      to: ['alice@customer.test'],
    });
    expect(received?.parsed.headers).toMatchObject({
      'message-id': '<ticketd.T-42.1@desk.test>',
      'in-reply-to': '<CAF00-original@customer.test>',
      references: '<root@customer.test> <CAF00-original@customer.test>',
      'x-ticketd-ref': 'T-42',
      'auto-submitted': 'auto-replied',
    });
    expect(received?.parsed.text.trim()).toBe('Hello Alice,\nyour ticket is T-42.');
  });

  it('logs in when a user is configured and still delivers', async () => {
    const authed = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false, user: 'ticketd', password: 'secret' });

    await authed.send(mail);
    authed.close();

    const [received] = await peer.waitFor(1);
    expect(received?.authUser).toBe('ticketd');
    expect(received?.parsed.messageId).toBe('ticketd.T-42.1@desk.test');
  });

  it('uses the envelope sender for bounces and puts Cc recipients in the envelope', async () => {
    await sender.send(mail);

    const [received] = await peer.waitFor(1);
    expect(received?.envelopeFrom).toBe('bounces@desk.test');
    expect(received?.envelopeTo).toEqual(['alice@customer.test', 'bob@customer.test']);
  });

  it('keeps the Message-ID when the same message is sent twice, as a retry does', async () => {
    await sender.send(mail);
    await sender.send(mail);

    const received = await peer.waitFor(2);
    expect(received.map((m) => m.parsed.messageId)).toEqual(['ticketd.T-42.1@desk.test', 'ticketd.T-42.1@desk.test']);
  });

  it('reports a 451 as a retryable temporary failure, and the retry delivers with the same Message-ID', async () => {
    peer.setResponder(() => ({ code: 451, message: '4.7.1 Greylisted, try again later' }));

    const error = await failure(sender.send(mail));

    expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true, details: { smtpCode: 451 } });
    expect(error.cause).toBeInstanceOf(Error);
    expect(peer.received).toHaveLength(0);

    peer.setResponder(undefined);
    await sender.send(mail);
    const [received] = await peer.waitFor(1);
    expect(received?.parsed.messageId).toBe('ticketd.T-42.1@desk.test');
  });

  it('reports a 550 for the only recipient as a non-retryable rejection', async () => {
    peer.setResponder((envelope) => (envelope.rcpt === 'alice@customer.test' ? { code: 550, message: '5.1.1 No such user' } : undefined));

    const error = await failure(sender.send({ ...mail, cc: [] }));

    expect(error).toMatchObject({ code: 'mail_out.rejected', retryable: false, details: { smtpCode: 550 } });
  });

  it('still delivers to the other recipients when the server refuses one of them', async () => {
    peer.setResponder((envelope) => (envelope.rcpt === 'bob@customer.test' ? { code: 550, message: '5.1.1 No such user' } : undefined));

    await sender.send(mail);

    const [received] = await peer.waitFor(1);
    expect(received?.envelopeTo).toEqual(['alice@customer.test']);
  });

  it('reports a 554 after the message data as a non-retryable rejection', async () => {
    peer.setResponder((envelope) => (envelope.stage === 'data' ? { code: 554, message: '5.7.1 Message refused as spam' } : undefined));

    const error = await failure(sender.send(mail));

    expect(error).toMatchObject({ code: 'mail_out.rejected', retryable: false, details: { smtpCode: 554 } });
  });

  it('treats a 503 bad-sequence reply as temporary, since the message itself was not refused', async () => {
    peer.setResponder((envelope) => (envelope.stage === 'mail' ? { code: 503, message: '5.5.1 Bad sequence of commands' } : undefined));

    const error = await failure(sender.send(mail));

    expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true, details: { smtpCode: 503 } });
  });

  it('reports a closed port as a retryable temporary failure', async () => {
    let port = 0;
    await withTcpServer(() => undefined, async (p) => {
      port = p;
    });
    const dead = createSmtpMailSender({ host: '127.0.0.1', port, secure: false });

    const error = await failure(dead.send(mail));
    dead.close();

    expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true });
    expect(describeCodes(error)).toContain('ECONNREFUSED');
  });

  it('gives up on a server that never greets after the greeting timeout, as a retryable failure', async () => {
    await withTcpServer(
      () => undefined,
      async (port) => {
        const silent = createSmtpMailSender({ host: '127.0.0.1', port, secure: false, timeoutsMs: { connection: 300, greeting: 300 } });
        const error = await failure(silent.send(mail));
        silent.close();
        expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true, details: { errorCode: 'ETIMEDOUT' } });
      },
    );
  });

  it('reports a connection dropped during DATA as a retryable temporary failure', async () => {
    let connections = 0;
    // Just enough SMTP to reach DATA, then hang up as a crashing server would.
    const dropDuringData = (socket: Socket) => {
      connections += 1;
      let inData = false;
      socket.write('220 flaky.test ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('latin1').split('\r\n').filter(Boolean)) {
          if (inData) return void socket.destroy();
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'EHLO') socket.write('250 flaky.test\r\n');
          else if (verb === 'DATA') {
            inData = true;
            socket.write('354 go ahead\r\n');
          } else socket.write('250 OK\r\n');
        }
      });
    };
    await withTcpServer(dropDuringData, async (port) => {
      const flaky = createSmtpMailSender({ host: '127.0.0.1', port, secure: false });
      const error = await failure(flaky.send(mail));
      flaky.close();
      expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true, details: { errorCode: 'ECONNECTION' } });
      expect(connections).toBe(1);
    });
  });

  it('fails at once when the server hangs up before its greeting, leaving the retry to the outbox', async () => {
    let connections = 0;
    const hangUp = (socket: Socket) => {
      connections += 1;
      socket.end();
    };
    await withTcpServer(hangUp, async (port) => {
      const busy = createSmtpMailSender({ host: '127.0.0.1', port, secure: false });
      const error = await failure(busy.send(mail));
      busy.close();
      expect(error).toMatchObject({ code: 'mail_out.temporary', retryable: true, details: { errorCode: 'ECONNECTION' } });
      // nodemailer's pool would otherwise reconnect up to 5 times with its own backoff.
      expect(connections).toBe(1);
    });
  });

  it('verifies the connection to a working server and reports a dead one as retryable', async () => {
    await expect(sender.verify()).resolves.toBeUndefined();

    let port = 0;
    await withTcpServer(() => undefined, async (p) => {
      port = p;
    });
    const dead = createSmtpMailSender({ host: '127.0.0.1', port, secure: false });
    await expect(failure(dead.verify())).resolves.toMatchObject({ code: 'mail_out.temporary', retryable: true });
    dead.close();
  });
});

function describeCodes(error: TicketdError): string {
  const cause = error.cause as { code?: string; originalCode?: string } | undefined;
  return `${cause?.code ?? ''} ${cause?.originalCode ?? ''} ${JSON.stringify(error.details)}`;
}
