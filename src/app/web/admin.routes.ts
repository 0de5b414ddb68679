import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminDeps, HealthReport } from './web.context.js';

/**
 * The operator's endpoints. `/healthz` (liveness) is everywhere; `/readyz` and `/metrics` say how the desk
 * is doing (counts, queue ages) and live on the admin listener, or on the public one only for a request
 * carrying `Authorization: Bearer <http.adminToken>`.
 */
export function registerAdminRoutes(app: FastifyInstance, { readiness, metrics, token }: AdminDeps & { token?: string }): void {
  const allowed = (request: FastifyRequest) => token === undefined || bearerMatches(request.headers.authorization, token);
  const refuse = (reply: FastifyReply) => reply.code(404).type('application/json').send({ error: 'not found' });

  app.get('/healthz', async (_request, reply) => reply.type('application/json').send({ ok: true }));
  app.get('/readyz', async (request, reply) => {
    if (!allowed(request)) return refuse(reply);
    let report: HealthReport;
    try {
      report = await readiness();
    } catch (error) {
      report = { ok: false, checks: { readiness: { ok: false, detail: (error as Error).message } } };
    }
    return reply.code(report.ok ? 200 : 503).type('application/json').send(report);
  });
  app.get('/metrics', async (request, reply) => {
    if (!allowed(request) || !metrics) return refuse(reply);
    try {
      return reply.type(metrics.contentType).send(await metrics.render());
    } catch (error) {
      return reply.code(500).type('application/json').send({ error: `metrics failed: ${(error as Error).message}` });
    }
  });
  for (const url of ['/healthz', '/readyz', '/metrics']) {
    app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url, handler: async (_request, reply) => reply.code(405).header('allow', 'GET').type('application/json').send({ error: 'method not allowed' }) });
  }
}

/** Constant-time comparison of the bearer token (an empty configured token never matches). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
