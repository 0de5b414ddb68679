/**
 * What answers on the LMTP listener's address, for `ticketd doctor`: ticketd itself (its greeting says
 * `LMTP ticketd`), another server, or nothing (and then whether ticketd could listen there).
 */
import net from 'node:net';

export type LmtpProbe =
  | { kind: 'ticketd' | 'other-lmtp' | 'other'; greeting: string }
  | { kind: 'nothing'; bindable: true }
  | { kind: 'nothing'; bindable: false; error: string }
  | { kind: 'error'; error: string };

export async function probeLmtpListener({ host, port, timeoutMs }: { host: string; port: number; timeoutMs: number }): Promise<LmtpProbe> {
  const greeting = await readGreeting({ host, port, timeoutMs });
  if (greeting.kind === 'greeting') {
    const text = greeting.text;
    return { kind: /^220 \S+ LMTP ticketd\b/.test(text) ? 'ticketd' : /^220 .*\bLMTP\b/.test(text) ? 'other-lmtp' : 'other', greeting: text };
  }
  if (greeting.kind === 'error') return { kind: 'error', error: greeting.error };
  const bound = await tryListen({ host, port });
  return bound === undefined ? { kind: 'nothing', bindable: true } : { kind: 'nothing', bindable: false, error: bound };
}

type Greeting = { kind: 'greeting'; text: string } | { kind: 'refused' } | { kind: 'error'; error: string };

function readGreeting({ host, port, timeoutMs }: { host: string; port: number; timeoutMs: number }): Promise<Greeting> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let received = '';
    const done = (result: Greeting) => {
      socket.removeAllListeners('data');
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(received ? { kind: 'greeting', text: clean(received) } : { kind: 'error', error: `no greeting within ${timeoutMs} ms` }));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\n');
      if (end >= 0 || received.length > 512) {
        // Say goodbye politely to a server that greeted; the answer does not matter.
        socket.write('QUIT\r\n');
        done({ kind: 'greeting', text: clean(received.slice(0, end >= 0 ? end : 512).replace(/\r$/, '')) });
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'error', error: error.code ?? error.message }));
    socket.once('close', () => done(received ? { kind: 'greeting', text: clean(received) } : { kind: 'error', error: 'closed without a greeting' }));
  });
}

/** Whatever another server sent is shown on a terminal: printable ASCII only, bounded. */
function clean(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 120);
}

function tryListen({ host, port }: { host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}
