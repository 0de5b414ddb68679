import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.js';
import { createLmtpIntake } from '../modules/mailbox/drivers/lmtp.mail-intake-driver.js';
import { checkLmtp } from './doctor.lmtp.js';

describe('ticketd doctor on the LMTP listener', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  it("says OK when ticketd's own listener answers", async () => {
    const listener = createLmtpIntake({
      host: '127.0.0.1',
      port: 0,
      maxConnections: 2,
      maxMessageBytes: 1_000_000,
      supportAddress: 'help@cloudsoft.test',
      rawStore: { writer: () => Promise.reject(new Error('unused')) as never },
      ingest: () => Promise.reject(new Error('unused')),
    });
    const { port } = await listener.start();
    cleanup.push(() => listener.stop());
    expect(await checkLmtp({ host: '127.0.0.1', port, maxConnections: 10 }, 2_000)).toEqual({ name: 'lmtp', verdict: 'ok', detail: `ticketd's LMTP listener answers on 127.0.0.1:${port}`, hint: '' });
  });

  it('warns when nothing listens yet but the port is free for ticketd run', async () => {
    const port = await freePort();
    const check = await checkLmtp({ host: '127.0.0.1', port, maxConnections: 10 }, 2_000);
    expect(check).toMatchObject({ verdict: 'warn', detail: `nothing listens on 127.0.0.1:${port} (ticketd run is not running; it can listen there)` });
    expect(check.hint).toContain('the MTA keeps');
  });

  it('fails when another server holds the port, and shows its greeting without control characters', async () => {
    const sockets = new Set<net.Socket>();
    const other = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.write('220 mx.example ESMTP Postfix\u001b[2J\r\n');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => other.close(() => resolve()));
    });
    const port = (other.address() as net.AddressInfo).port;
    const check = await checkLmtp({ host: '127.0.0.1', port, maxConnections: 10 }, 2_000);
    expect(check).toMatchObject({ verdict: 'fail', detail: `another server answers on 127.0.0.1:${port}: 220 mx.example ESMTP Postfix?[2J` });
    expect(check.hint).toContain('choose a free lmtp.port');
  });

  it('fails with a hint when ticketd could not listen on lmtp.host', async () => {
    const check = await checkLmtp({ host: '192.0.2.1', port: 2424, maxConnections: 10 }, 500);
    expect(check.verdict).toBe('fail');
    expect(`${check.detail} ${check.hint}`).toMatch(/EADDRNOTAVAIL|not an address of this machine|ETIMEDOUT|no greeting|EHOSTUNREACH|ENETUNREACH/);
  });
});
