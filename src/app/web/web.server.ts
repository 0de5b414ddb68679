import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { BUILT_IN_PAGES_DIR } from '../../modules/templates/pages.loader.js';
import type { Config } from '../../config/config.schema.js';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { registerAdminRoutes } from './admin.routes.js';
import { registerAuthRoutes } from './auth.routes.js';
import { messageView, renderPage } from './pages.js';
import { registerTicketRoutes } from './tickets.routes.js';
import { CSRF_COOKIE, SESSION_COOKIE, type AdminDeps, type WebDeps } from './web.context.js';

type Listener = { app: FastifyInstance; port: number };

/**
 * The node:http server under Fastify, built here so its limits hold against slow clients: the whole request
 * (headers and body) must arrive within `requestTimeoutSeconds` (checked every second, not Node's default 30 s),
 * the headers within `headersTimeoutSeconds`, and at most `maxConnections` sockets are open at once (Node
 * closes the ones above). A slow POST (slowloris) cannot hold a connection for minutes.
 */
function limitedServer(http: Config['http']) {
  const requestTimeout = http.requestTimeoutSeconds * 1000;
  return (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const server = createServer({ requestTimeout, headersTimeout: Math.min(http.headersTimeoutSeconds * 1000, requestTimeout), connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 }, handler);
    server.maxConnections = http.maxConnections;
    // An idle socket (no bytes at all) goes too, like Fastify's connectionTimeout would.
    server.setTimeout(requestTimeout);
    return server;
  };
}

/**
 * The public listener: the support portal (pages, forms, uploads, downloads) and /healthz, behind Fastify's own
 * plugins: helmet (CSP without scripts, no framing, no referrer), cookies, CSRF tokens on every POST, a
 * per-client request limit, form and multipart parsers with size limits, and the stylesheet.
 */
export async function buildPublicApp(deps: WebDeps & { admin: AdminDeps }): Promise<FastifyInstance> {
  const { config, logger } = deps;
  const http = config.http;
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Request lines can carry tokens (/verify?token=): only failures are logged, by the error handler.
    disableRequestLogging: true,
    trustProxy: http.trustProxy.length > 0 ? http.trustProxy : false,
    bodyLimit: http.maxFormBytes,
    serverFactory: limitedServer(http),
    return503OnClosing: true,
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'lax' },
    // Multipart forms carry the token in their action's query: it is checked before any file is read.
    getToken: (request) => (request.body as Record<string, unknown> | undefined)?._csrf as string | undefined ?? ((request.query as Record<string, unknown>)._csrf as string | undefined),
  });
  await app.register(fastifyRateLimit, {
    max: http.requestsPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => request.ip,
    allowList: (request) => request.url === '/healthz',
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests: wait ${context.after}`), { statusCode: 429 }),
  });
  await app.register(fastifyFormbody, { bodyLimit: http.maxFormBytes });
  await app.register(fastifyMultipart, {
    limits: { fileSize: http.maxUploadBytes, files: http.maxUploadFiles, fields: 10, fieldSize: 256 * 1024, parts: http.maxUploadFiles + 10, headerPairs: 100 },
    throwFileSizeLimit: false,
  });
  await app.register(fastifyStatic, { root: path.join(BUILT_IN_PAGES_DIR, 'assets'), prefix: '/assets/', maxAge: 3_600_000, index: false, list: false });

  // The session first (the CSRF error page shows who is signed in), then the form token of every POST. Two hooks:
  // the session lookup is async, and csrfProtection answers a bad token itself instead of calling `done`.
  app.addHook('preHandler', async (request, reply) => {
    const sessionId = request.cookies[SESSION_COOKIE];
    if (!sessionId) return;
    const signedIn = await deps.accounts.sessionOf(sessionId);
    if (signedIn) {
      request.signedIn = signedIn;
      request.sessionId = sessionId;
    } else reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
  });
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST') app.csrfProtection(request, reply, done);
    else done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const help = deps.registration.helpAddress;
    if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN') {
      return renderPage(deps, request, reply.code(403), 'message', messageView({ title: 'This form has expired', paragraphs: ['For your safety every form works only from this site and for a while. Go back, reload the page and send it again.'], ok: false, help }));
    }
    if (status === 413 || error.code === 'FST_FILES_LIMIT' || error.code === 'FST_PARTS_LIMIT' || error.code === 'FST_REQ_FILE_TOO_LARGE') {
      return renderPage(deps, request, reply.code(413), 'message', messageView({ title: 'That was too much', paragraphs: [`Forms take at most ${http.maxUploadFiles} files of ${Math.round(http.maxUploadBytes / 1048576)} MB in all. Nothing was saved: go back and try with less.`], ok: false, help }));
    }
    if (status === 429) return renderPage(deps, request, reply.code(429), 'message', messageView({ title: 'Too many requests', paragraphs: ['Please wait a minute and try again.'], ok: false, help }));
    if (status < 500) return renderPage(deps, request, reply.code(status), 'message', messageView({ title: 'Something is wrong with this request', paragraphs: ['Go back and try again.'], ok: false, help }));
    logger.error({ err: describeError(error), method: request.method, path: request.url.split('?')[0] }, 'request failed');
    return renderPage(deps, request, reply.code(500), 'message', messageView({ title: 'Something went wrong', paragraphs: ['Nothing you sent was lost twice: please try again in a minute.'], ok: false, help }));
  });
  app.setNotFoundHandler((request, reply) => renderPage(deps, request, reply.code(404), 'message', messageView({ title: 'Not found', paragraphs: ['There is no page here, or you may not see it.'], ok: false, help: deps.registration.helpAddress, link: { href: '/', text: 'Go to the start page' } })));

  registerAdminRoutes(app, { ...deps.admin, token: http.adminToken || '' });
  app.get('/', async (request, reply) => reply.redirect(request.signedIn ? (request.signedIn.role === 'engineer' ? '/queue' : '/tickets') : '/login', 303));
  registerAuthRoutes(app, deps);
  registerTicketRoutes(app, deps);
  return app;
}

/** The admin listener: /healthz, /readyz and /metrics only, without a token (keep it on loopback or a private network). */
export async function buildAdminApp({ admin, logger }: { admin: AdminDeps; logger: Logger }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger.child({ component: 'http-admin' }) as unknown as FastifyBaseLogger, disableRequestLogging: true });
  registerAdminRoutes(app, admin);
  return app;
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<Listener> {
  await app.listen({ host, port });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** Starts the public listener (http.port > 0) and the admin listener (http.adminPort > 0). */
export async function startWebServers(deps: WebDeps & { admin: AdminDeps }): Promise<{ port?: number; adminPort?: number; close(): Promise<void> }> {
  const { http } = deps.config;
  const started: Listener[] = [];
  try {
    const publicListener = http.port > 0 ? await listen(await buildPublicApp(deps), http.host, http.port) : undefined;
    if (publicListener) started.push(publicListener);
    const adminListener = http.adminPort > 0 ? await listen(await buildAdminApp({ admin: deps.admin, logger: deps.logger }), http.adminHost, http.adminPort) : undefined;
    if (adminListener) started.push(adminListener);
    return {
      ...(publicListener ? { port: publicListener.port } : {}),
      ...(adminListener ? { adminPort: adminListener.port } : {}),
      close: async () => {
        await Promise.all(started.map((listener) => listener.app.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((listener) => listener.app.close()));
    throw error;
  }
}
