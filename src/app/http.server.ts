import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Extra routes (e.g. registration pages): resolves true when it answered the request. */
export type HttpRoutes = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

export type HealthReport = { ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> };

/**
 * The operator's window: `/healthz` says the process is alive, `/readyz` runs the readiness checks
 * (database writable, IMAP connected, outbox moving) and answers 503 when one fails; `/metrics` is for
 * Prometheus.
 */
export async function startHttpServer({
  host,
  port,
  readiness,
  routes,
  metrics,
}: {
  host: string;
  port: number;
  readiness: () => HealthReport;
  /** Feature routes (registration pages), tried first; resolve false to fall through. */
  routes?: HttpRoutes;
  /** `/metrics` in the Prometheus text format; absent: 404. */
  metrics?: { contentType: string; render(): Promise<string> };
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (routes) {
      routes(request, response).then(
        (handled) => (handled ? undefined : health()),
        () => {
          if (!response.headersSent) send(500, { error: 'internal error' });
          else response.destroy();
        },
      );
      return;
    }
    health();

    function health() {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET') return send(405, { error: 'method not allowed' });
      if (path === '/healthz') return send(200, { ok: true });
      if (path === '/readyz') {
        let report: HealthReport;
        try {
          report = readiness();
        } catch (error) {
          report = { ok: false, checks: { readiness: { ok: false, detail: (error as Error).message } } };
        }
        return send(report.ok ? 200 : 503, report);
      }
      if (path === '/metrics' && metrics) {
        metrics.render().then(
          (text) => {
            response.writeHead(200, { 'content-type': metrics.contentType });
            response.end(text);
          },
          (error: unknown) => send(500, { error: `metrics failed: ${(error as Error).message}` }),
        );
        return;
      }
      return send(404, { error: 'not found' });
    }

    function send(status: number, body: unknown) {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
