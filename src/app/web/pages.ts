import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PageName } from '../../modules/templates/pages.catalog.js';
import type { WebDeps } from './web.context.js';

type PageDeps = Pick<WebDeps, 'pages' | 'config'>;

/** Fixed notices after a redirect (`?done=reply`): never text from the URL, which anyone can write. */
const NOTICES: Record<string, string> = {
  created: 'Your ticket was created. We have mailed you a confirmation.',
  reply: 'Your message was added to the ticket.',
  note: 'Your internal note was added.',
  signedin: 'You are signed in.',
  password: 'Your password is set, and you are signed in.',
  resolved: 'The ticket is marked resolved. A reply reopens it.',
  severity: 'The severity was changed.',
  status: 'The status was changed.',
  assign: 'The assignee was changed.',
  page: 'The page was updated.',
};

/** The layout around every page: the signed-in user (or none), the sign-out form's token, a notice. */
export function renderPage(deps: PageDeps, request: FastifyRequest, reply: FastifyReply, name: PageName, view: Record<string, unknown>, { notice = '' }: { notice?: string } = {}): FastifyReply {
  const user = request.signedIn;
  const done = (request.query as Record<string, unknown> | undefined)?.done;
  const layout = {
    title: String(view.pageTitle ?? view.title ?? view.heading ?? 'Support'),
    supportName: deps.config.support.name,
    csrfToken: user ? reply.generateCsrf() : '',
    notice: notice || (typeof done === 'string' ? (NOTICES[done] ?? '') : ''),
    signedIn: user ? { name: user.name || user.email, email: user.email, isEngineer: user.role === 'engineer' } : false,
  };
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(deps.pages.render(name, view, layout));
}

export function messageView({ title, paragraphs, ok, help, link }: { title: string; paragraphs: string[]; ok: boolean; help: string; link?: { href: string; text: string } }): Record<string, unknown> {
  return { title, paragraphs, ok, link: link ?? false, helpAddress: help };
}

/** Where to go after signing in: a path of this portal only (no `//host`, no scheme), else the start page. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 300 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return '/';
  return value;
}

/** "25 Nov 2026, 09:00 CET" in the desk's time zone (paging.timezone). */
export function formatTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(date);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

/** Redirects to the sign-in page, coming back here afterwards. */
export function toLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.redirect(`/login?next=${encodeURIComponent(safeNext(request.url))}`, 303);
}
