import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../../modules/accounts/accounts.usecases.js';
import { PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS } from '../../modules/accounts/password.models.js';
import { describeError } from '../../shared/errors.js';
import { messageView, renderPage, safeNext } from './pages.js';
import { SESSION_COOKIE, type WebDeps } from './web.context.js';

type Form = Record<string, unknown>;
const field = (form: unknown, name: string, max = 1024): string => {
  const value = (form as Form | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
};
const PASSWORD_RULES = { minChars: PASSWORD_MIN_CHARS, maxChars: PASSWORD_MAX_CHARS };

/** /register, /verify, /login, /logout, /reset: the accounts' pages, thin over the registration and accounts modules. */
export function registerAuthRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { registration, accounts, passwordLinks, config, logger } = deps;
  const help = registration.helpAddress;
  const page = renderPage.bind(null, deps);
  /** Forms that cost a hash or send mail get a tighter limit per client than pages (`http.formPostsPerMinute`). */
  const STRICT = { config: { rateLimit: { max: config.http.formPostsPerMinute, timeWindow: 60_000 } } };

  async function signIn(request: FastifyRequest, reply: FastifyReply, sessionId: string, user: SignedIn): Promise<void> {
    if (request.sessionId) await accounts.endSession(request.sessionId);
    reply.setCookie(SESSION_COOKIE, sessionId, { path: '/', secure: true, httpOnly: true, sameSite: 'lax', maxAge: config.accounts.sessionMaxHours * 3600 });
    request.signedIn = user;
    request.sessionId = sessionId;
  }

  const linkProblem = (reply: FastifyReply, request: FastifyRequest, kind: 'unknown' | 'used' | 'expired', again: { href: string; text: string }) => {
    const text = {
      expired: ['This link has expired', 'Links are valid for a limited time. Ask for a new one.'],
      used: ['This link was already used', 'Each link works once. If you still cannot sign in, ask for a new one.'],
      unknown: ['This link is not valid', 'Check that you copied the whole link, or ask for a new one.'],
    }[kind] as [string, string];
    return page(request, reply.code(kind === 'unknown' ? 404 : 410), 'message', messageView({ title: text[0], paragraphs: [text[1]], ok: false, help, link: again }));
  };

  app.get('/register', async (request, reply) =>
    page(request, reply, 'register', { pageTitle: 'Sign up', supportName: config.support.name, name: '', email: field(request.query, 'email', 254), problems: {}, helpAddress: help, csrfToken: reply.generateCsrf() }),
  );
  app.post('/register', STRICT, async (request, reply) => {
    const name = field(request.body, 'name', 200);
    const email = field(request.body, 'email', 254);
    const result = await registration.signUp({ name, email, ip: request.ip });
    if (result.kind === 'invalid') return page(request, reply.code(400), 'register', { pageTitle: 'Sign up', supportName: config.support.name, name, email, problems: result.problems, helpAddress: help, csrfToken: reply.generateCsrf() });
    if (result.kind === 'rate-limited') return page(request, reply.code(429), 'message', messageView({ title: 'Too many attempts', paragraphs: ['Please wait an hour before trying again, or check your mailbox for the link we already sent.'], ok: false, help }));
    deps.onChange();
    return page(request, reply, 'message', messageView({ title: 'Check your mailbox', paragraphs: [`We have sent a mail to ${result.email}. It tells you how to go on: open its link to confirm the address and choose your password.`, 'Nothing arrived after a few minutes? Look in the spam folder, or write to us.'], ok: true, help }));
  });

  app.get('/verify', async (request, reply) => {
    const token = field(request.query, 'token', 100);
    const state = await registration.verificationState(token);
    if (state.kind !== 'valid') return linkProblem(reply, request, state.kind, { href: '/register', text: 'Sign up again' });
    return page(request, reply, 'verify', { pageTitle: 'Confirm your address', token, email: state.email, name: state.name, problems: {}, csrfToken: reply.generateCsrf(), ...PASSWORD_RULES });
  });
  app.post('/verify', STRICT, async (request, reply) => {
    const token = field(request.body, 'token', 100);
    const name = field(request.body, 'name', 200);
    let result;
    try {
      result = await registration.verify({ token, password: field(request.body, 'password'), name });
    } catch (error) {
      logger.error({ err: describeError(error) }, 'verification failed');
      return page(request, reply.code(500), 'message', messageView({ title: 'Something went wrong', paragraphs: ['Please open the link again in a minute.'], ok: false, help }));
    }
    if (result.kind === 'invalid') {
      const state = await registration.verificationState(token);
      return page(request, reply.code(400), 'verify', { pageTitle: 'Confirm your address', token, email: state.kind === 'valid' ? state.email : '', name, problems: result.problems, csrfToken: reply.generateCsrf(), ...PASSWORD_RULES });
    }
    if (result.kind !== 'verified') return linkProblem(reply, request, result.kind, { href: '/register', text: 'Sign up again' });
    await signIn(request, reply, result.sessionId, result.user);
    deps.onChange();
    const next =
      result.ticketRefs.length > 0
        ? `Your earlier ${result.ticketRefs.length === 1 ? 'message is now ticket' : 'messages are now tickets'} ${result.ticketRefs.join(', ')}: you will receive a confirmation by mail.`
        : 'From now on, mail you send to support becomes a ticket, and you can open and follow tickets here.';
    return page(request, reply, 'message', messageView({ title: 'Address confirmed', paragraphs: [`Thank you: ${result.email} is confirmed, and you are signed in.`, next], ok: true, help, link: { href: '/tickets', text: 'Go to my tickets' } }));
  });

  const loginView = (reply: FastifyReply, values: { email?: string; next?: string; failed?: boolean; throttled?: boolean }) => ({ pageTitle: 'Sign in', email: '', next: '/', failed: false, throttled: false, throttleMinutes: config.accounts.loginThrottleMinutes, ...values, csrfToken: reply.generateCsrf() });
  app.get('/login', async (request, reply) => {
    const next = safeNext(field(request.query, 'next', 300));
    if (request.signedIn) return reply.redirect(next, 303);
    return page(request, reply, 'login', loginView(reply, { next }));
  });
  app.post('/login', STRICT, async (request, reply) => {
    const email = field(request.body, 'email', 254);
    const next = safeNext(field(request.body, 'next', 300));
    const result = await accounts.login({ email, password: field(request.body, 'password'), ip: request.ip });
    if (result.kind === 'ok') {
      await signIn(request, reply, result.sessionId, result.user);
      return reply.redirect(next, 303);
    }
    // The same page for a wrong password and an unknown address; only the throttle says more.
    return page(request, reply.code(result.kind === 'throttled' ? 429 : 401), 'login', loginView(reply, { email, next, failed: result.kind === 'wrong', throttled: result.kind === 'throttled' }));
  });

  app.post('/logout', async (request, reply) => {
    if (request.sessionId) await accounts.endSession(request.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
    return reply.redirect('/login', 303);
  });

  app.get('/reset', async (request, reply) => {
    const token = field(request.query, 'token', 100);
    if (!token) return page(request, reply, 'reset-request', { pageTitle: 'Forgot your password?', email: '', csrfToken: reply.generateCsrf() });
    const state = await passwordLinks.linkState(token);
    if (state.kind !== 'valid') return linkProblem(reply, request, state.kind, { href: '/reset', text: 'Ask for a new link' });
    return page(request, reply, 'reset-form', { pageTitle: 'Choose a password', token, email: state.email, welcome: state.purpose === 'welcome', problem: '', csrfToken: reply.generateCsrf(), ...PASSWORD_RULES });
  });
  app.post('/reset', STRICT, async (request, reply) => {
    const token = field(request.body, 'token', 100);
    if (!token) {
      const email = field(request.body, 'email', 254);
      if ((await passwordLinks.requestReset({ email, ip: request.ip })) === 'rate-limited') return page(request, reply.code(429), 'message', messageView({ title: 'Too many attempts', paragraphs: ['Please wait an hour before asking again, or use the link we already sent.'], ok: false, help }));
      deps.onChange();
      return page(request, reply, 'message', messageView({ title: 'Check your mailbox', paragraphs: [`If ${email.trim()} has an account, we have sent it a link to choose a new password. It works once, for ${config.accounts.resetLinkMinutes} minutes.`], ok: true, help }));
    }
    const result = await passwordLinks.setByLink({ token, password: field(request.body, 'password') });
    if (result.kind === 'invalid-password') {
      const state = await passwordLinks.linkState(token);
      return page(request, reply.code(400), 'reset-form', { pageTitle: 'Choose a password', token, email: state.kind === 'valid' ? state.email : '', welcome: state.kind === 'valid' && state.purpose === 'welcome', problem: result.problem, csrfToken: reply.generateCsrf(), ...PASSWORD_RULES });
    }
    if (result.kind !== 'done') return linkProblem(reply, request, result.kind, { href: '/reset', text: 'Ask for a new link' });
    await signIn(request, reply, result.sessionId, result.user);
    return reply.redirect(result.user.role === 'engineer' ? '/queue?done=password' : '/tickets?done=password', 303);
  });
}
