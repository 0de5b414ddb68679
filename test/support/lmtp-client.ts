import net from 'node:net';

/**
 * A bare LMTP client speaking line by line, for what nodemailer will not do: read every per-recipient reply
 * after DATA, lie about the size, hang up mid-message.
 */
export type RawLmtpSession = {
  /** The greeting line. */
  greeting: string;
  /** Sends one command line and resolves with its reply (all lines of a multi-line reply). */
  command(line: string): Promise<string[]>;
  /** Sends the message with dot-stuffing and the final dot; resolves with `replies` reply lines (one per recipient). */
  data(message: string | Buffer, replies: number): Promise<string[]>;
  /** Writes bytes as they are, expecting no reply (a message cut off before its end). */
  write(bytes: string | Buffer): Promise<void>;
  destroy(): void;
  closed: Promise<void>;
};

export async function openRawLmtp({ port, host = '127.0.0.1' }: { port: number; host?: string }): Promise<RawLmtpSession> {
  const socket = net.connect({ host, port });
  let buffer = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  void closed.then(() => {
    for (const wake of waiters.splice(0)) wake();
  });
  let ended = false;
  void closed.then(() => (ended = true));

  /** The next complete reply: lines `NNN-...` up to the one `NNN ...`. */
  async function nextReply(): Promise<string[]> {
    for (;;) {
      const lines = buffer.split('\r\n');
      const last = lines.findIndex((line) => /^\d{3}( |$)/.test(line));
      if (last >= 0 && last < lines.length - 1) {
        const reply = lines.slice(0, last + 1);
        buffer = lines.slice(last + 1).join('\r\n');
        return reply;
      }
      if (ended) throw new Error(`connection closed while waiting for a reply (buffer: ${JSON.stringify(buffer)})`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const greeting = (await nextReply()).join('\n');
  return {
    greeting,
    async command(line) {
      socket.write(`${line}\r\n`);
      return nextReply();
    },
    async data(message, replies) {
      const text = Buffer.isBuffer(message) ? message.toString('utf8') : message;
      const stuffed = text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      socket.write(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
      const lines: string[] = [];
      for (let n = 0; n < replies; n += 1) lines.push(...(await nextReply()));
      return lines;
    },
    async write(bytes) {
      await new Promise<void>((resolve) => socket.write(bytes, () => resolve()));
    },
    destroy: () => socket.destroy(),
    closed,
  };
}
