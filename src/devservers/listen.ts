import net, { type AddressInfo } from 'node:net';

type Listenable = {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
};

/**
 * Listens on 127.0.0.1 (`port` 0: any free port) and resolves with the bound port; a failure to bind rejects.
 * `addressOf` reads the bound address (an SMTPServer keeps its net.Server in `.server`).
 */
export async function listenOnLoopback(server: Listenable, port: number, { what, addressOf }: { what: string; addressOf: () => AddressInfo | string | null }): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = addressOf();
  if (!address || typeof address === 'string') throw new Error(`${what} did not bind a TCP port`);
  return address.port;
}

/** A loopback TCP port nothing listens on right now (bound, then released), for a server started by a child process. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
