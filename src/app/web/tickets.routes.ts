import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../../modules/accounts/accounts.usecases.js';
import { ownAddresses } from '../../modules/desk/mailboxes.models.js';
import { severityMeaning, type Severity } from '../../modules/desk/severity.models.js';
import { statusFilterOf, type Viewer } from '../../modules/portal/access.models.js';
import type { EngineerAction } from '../../modules/portal/portal.usecases.js';
import { formatSize, formatTime, messageView, renderPage, toLogin } from './pages.js';
import { readMultipart } from './uploads.js';
import type { WebDeps } from './web.context.js';

const LEVELS: Severity[] = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];
const isSeverity = (value: unknown): value is Severity => typeof value === 'string' && (LEVELS as string[]).includes(value);
const text = (form: unknown, name: string, max: number) => {
  const value = (form as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
};
const viewerOf = (user: SignedIn): Viewer => ({ email: user.email, role: user.role, organisationId: user.organisationId });
/** A random id rendered into each form: a double-click sends it twice, and the second is a duplicate. */
const submissionId = () => randomBytes(16).toString('base64url');

/** /tickets, /tickets/new, /tickets/REF (and its forms and files), /queue: thin over the portal module and intake's web entry. */
export function registerTicketRoutes(app: FastifyInstance, deps: WebDeps): void {
  const { portal, config } = deps;
  // Mail and notes of any mailbox of the desk (help@, billing@) show as the desk.
  const own = ownAddresses(config);
  const zone = config.paging.timezone;
  const time = (date: Date) => formatTime(date, zone);
  const help = deps.registration.helpAddress;
  const uploadLimits = { maxFiles: config.http.maxUploadFiles, maxUploadMb: Math.round((config.http.maxUploadBytes / 1048576) * 10) / 10 };
  const page = renderPage.bind(null, deps);
  const notFound = (request: FastifyRequest, reply: FastifyReply) => page(request, reply.code(404), 'message', messageView({ title: 'Not found', paragraphs: ['There is no page here, or you may not see it.'], ok: false, help, link: { href: '/tickets', text: 'Go to my tickets' } }));
  const author = (request: FastifyRequest) => ({ email: (request.signedIn as SignedIn).email, name: (request.signedIn as SignedIn).name });

  app.get('/tickets', async (request, reply) => {
    const user = request.signedIn;
    if (!user) return toLogin(request, reply);
    const q = text(request.query, 'q', 200);
    const status = statusFilterOf((request.query as Record<string, unknown>).status);
    const { tickets, truncated } = await portal.list({ viewer: viewerOf(user), q, status });
    return page(request, reply, 'tickets', {
      heading: user.role === 'engineer' ? 'All tickets' : user.role === 'manager' ? 'Tickets of my organisation' : 'My tickets',
      canCreate: user.role !== 'engineer',
      q,
      filters: (['open', 'closed', 'all'] as const).map((value) => ({ value, label: { open: 'Open', closed: 'Resolved and closed', all: 'All' }[value], selected: value === status })),
      none: tickets.length === 0,
      count: tickets.length,
      truncated,
      tickets: tickets.map((ticket) => ({ ref: ticket.ref, href: `/tickets/${ticket.ref}`, subject: ticket.subject || '(no subject)', severity: ticket.severity, status: ticket.status, updated: time(ticket.updatedAt), updatedIso: ticket.updatedAt.toISOString(), slaDue: ticket.slaDueAt ? time(ticket.slaDueAt) : '' })),
    });
  });

  const newTicketView = (reply: FastifyReply, values: { subject?: string; description?: string; severity?: Severity; problems?: Record<string, string> } = {}) => ({
    pageTitle: 'New ticket',
    action: `/tickets/new?_csrf=${encodeURIComponent(reply.generateCsrf())}&submission=${submissionId()}`,
    subject: values.subject ?? '',
    description: values.description ?? '',
    severities: LEVELS.map((level) => ({ level, meaning: severityMeaning(level), selected: level === (values.severity ?? 'SEV3') })),
    problems: values.problems ?? {},
    ...uploadLimits,
  });
  app.get('/tickets/new', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    if (request.signedIn.role === 'engineer') return notFound(request, reply);
    return page(request, reply, 'ticket-new', newTicketView(reply));
  });
  app.post('/tickets/new', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    if (request.signedIn.role === 'engineer') return notFound(request, reply);
    const { fields, files } = await readMultipart(request, { store: deps.attachmentStore, maxBytes: config.http.maxUploadBytes });
    const subject = (fields.subject ?? '').trim().slice(0, 300);
    const description = (fields.description ?? '').slice(0, 100_000);
    const severity = isSeverity(fields.severity) ? fields.severity : 'SEV3';
    const problems: Record<string, string> = {};
    if (!subject) problems.subject = 'Please say in a few words what is wrong.';
    if (!description.trim()) problems.description = 'Please describe the problem.';
    if (Object.keys(problems).length > 0) return page(request, reply.code(400), 'ticket-new', newTicketView(reply, { subject, description, severity, problems }));
    const result = await deps.submitWeb({ author: author(request), kind: 'new-ticket', subject, severity, text: description, files, submissionId: text(request.query, 'submission', 64) });
    deps.onChange();
    if (result.ticketRef) return reply.redirect(`/tickets/${result.ticketRef}?done=created`, 303);
    const problem = result.reason.startsWith('flood-guard') ? `You have opened ${config.limits.newTicketsPerHour} tickets in the last hour: this one was kept aside for an engineer to look at. If production is down, call your emergency line.` : `This ticket could not be opened (${result.outcome}: ${result.reason}). Please write to ${help}.`;
    return page(request, reply.code(409), 'ticket-new', newTicketView(reply, { subject, description, severity, problems: { form: problem } }));
  });

  async function ticketPage(request: FastifyRequest, reply: FastifyReply, ref: string, { problem = '' }: { problem?: string } = {}) {
    const user = request.signedIn as SignedIn;
    const found = await portal.view({ viewer: viewerOf(user), ref });
    if (!found) return notFound(request, reply);
    const { ticket, messages, names, slaDueAt, linked, canMarkResolved, engineers } = found;
    const engineer = user.role === 'engineer';
    const csrfToken = reply.generateCsrf();
    const action = (name: string, withSubmission = false) => `/tickets/${ticket.ref}/${name}?_csrf=${encodeURIComponent(csrfToken)}${withSubmission ? `&submission=${submissionId()}` : ''}`;
    const who = (address: string, outbound: boolean) => {
      const name = names.get(address.toLowerCase()) ?? '';
      if (outbound && own.includes(address.toLowerCase())) return config.support.name;
      if (engineer) return name ? `${name} <${address}>` : address;
      return outbound ? `${name || 'Engineer'} (${config.support.name})` : name ? `${name} <${address}>` : address;
    };
    return page(request, reply, 'ticket', {
      pageTitle: `${ticket.ref} ${ticket.subject}`,
      csrfToken,
      ticket: {
        ref: ticket.ref,
        subject: ticket.subject || '(no subject)',
        severity: ticket.severity,
        priority: ticket.priority,
        status: ticket.status,
        requester: ticket.requesterName ? `${ticket.requesterName} <${ticket.requesterEmail}>` : ticket.requesterEmail,
        created: time(ticket.createdAt),
        createdIso: ticket.createdAt.toISOString(),
        slaDue: slaDueAt ? time(slaDueAt) : '',
        assignee: ticket.assignee ?? '',
        linkedRef: linked?.ref ?? '',
        linkedHref: linked ? `/tickets/${linked.ref}` : '',
      },
      messages: messages.map((message) => ({
        author: who(message.fromAddress, message.direction === 'outbound'),
        at: time(message.createdAt),
        atIso: message.createdAt.toISOString(),
        internal: message.visibility === 'internal',
        fromOutsideOrganisation: message.fromOutsideOrganisation,
        outbound: message.direction === 'outbound',
        body: message.bodyText,
        hasAttachments: message.attachments.length > 0,
        attachments: message.attachments.map((file) => ({ name: file.filename, href: `/tickets/${ticket.ref}/attachments/${file.id}`, size: formatSize(file.size) })),
      })),
      problem,
      canReply: ticket.status !== 'closed' || engineer,
      replyAction: action('reply', true),
      isEngineer: engineer,
      closed: ticket.status === 'closed' && !engineer,
      canResolve: canMarkResolved,
      resolveAction: `/tickets/${ticket.ref}/resolve`,
      ...uploadLimits,
      engineer: engineer
        ? {
            noteAction: action('note', true),
            severityAction: `/tickets/${ticket.ref}/severity`,
            statusAction: `/tickets/${ticket.ref}/status`,
            assignAction: `/tickets/${ticket.ref}/assign`,
            pageAction: `/tickets/${ticket.ref}/page`,
            severities: LEVELS.map((level) => ({ level, meaning: severityMeaning(level), selected: level === ticket.severity })),
            statuses: [
              { value: 'pending', label: 'Pending (waiting on the customer)' },
              { value: 'resolve', label: 'Resolved' },
              { value: 'close', label: 'Closed' },
            ],
            engineers: [{ email: user.email, name: user.name }, ...engineers.filter((entry) => entry.email !== user.email)].map((entry) => ({ email: entry.email, label: entry.name ? `${entry.name} <${entry.email}>` : entry.email, selected: entry.email === ticket.assignee })),
          }
        : false,
    });
  }

  app.get<{ Params: { ref: string } }>('/tickets/:ref', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    return ticketPage(request, reply, request.params.ref);
  });

  app.post<{ Params: { ref: string } }>('/tickets/:ref/reply', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    const ticket = await portal.visibleTicket(viewerOf(request.signedIn), request.params.ref);
    if (!ticket) return notFound(request, reply);
    const { fields, files } = await readMultipart(request, { store: deps.attachmentStore, maxBytes: config.http.maxUploadBytes });
    const message = (fields.message ?? '').slice(0, 100_000);
    if (!message.trim() && files.length === 0) return ticketPage(request, reply.code(400), ticket.ref, { problem: 'Please write a message (or attach a file).' });
    const result = await deps.submitWeb({ author: author(request), kind: 'reply', ticketId: ticket.id, subject: `Re: [${ticket.ref}] ${ticket.subject}`, text: message, files, submissionId: text(request.query, 'submission', 64) });
    deps.onChange();
    if (result.outcome === 'ticket' && result.ticketRef) return reply.redirect(`/tickets/${result.ticketRef}?done=created`, 303);
    if (result.outcome === 'reply' || result.outcome === 'duplicate') return reply.redirect(`/tickets/${ticket.ref}?done=reply`, 303);
    return ticketPage(request, reply.code(409), ticket.ref, { problem: `Your message was not added (${result.reason}). Please write to ${help}.` });
  });

  app.post<{ Params: { ref: string } }>('/tickets/:ref/note', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    const ticket = request.signedIn.role === 'engineer' ? await portal.visibleTicket(viewerOf(request.signedIn), request.params.ref) : undefined;
    if (!ticket) return notFound(request, reply);
    const note = text(request.body, 'note', 100_000);
    if (!note.trim()) return ticketPage(request, reply.code(400), ticket.ref, { problem: 'The note is empty.' });
    await deps.submitWeb({ author: author(request), kind: 'note', ticketId: ticket.id, subject: `Re: [${ticket.ref}] ${ticket.subject}`, text: note, files: [], submissionId: text(request.query, 'submission', 64) });
    deps.onChange();
    return reply.redirect(`/tickets/${ticket.ref}?done=note`, 303);
  });

  app.post<{ Params: { ref: string } }>('/tickets/:ref/resolve', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    const result = await portal.markResolved({ viewer: viewerOf(request.signedIn), ref: request.params.ref });
    if (result.kind === 'not-found') return notFound(request, reply);
    if (result.kind === 'refused') return ticketPage(request, reply.code(409), request.params.ref, { problem: result.problem });
    deps.onChange();
    return reply.redirect(`/tickets/${request.params.ref.toUpperCase()}?done=resolved`, 303);
  });

  const engineerAction = (name: string, parse: (body: unknown) => EngineerAction | undefined) =>
    app.post<{ Params: { ref: string } }>(`/tickets/:ref/${name}`, async (request, reply) => {
      if (!request.signedIn) return toLogin(request, reply);
      const action = parse(request.body);
      const result = action ? await portal.act({ viewer: viewerOf(request.signedIn), ref: request.params.ref, action }) : { kind: 'refused' as const, problem: 'That choice is not available.' };
      if (result.kind === 'not-found') return notFound(request, reply);
      if (result.kind === 'refused') return ticketPage(request, reply.code(409), request.params.ref, { problem: result.problem });
      deps.onChange();
      return reply.redirect(`/tickets/${request.params.ref.toUpperCase()}?done=${name}`, 303);
    });
  engineerAction('severity', (body) => {
    const severity = text(body, 'severity', 10);
    return isSeverity(severity) ? { kind: 'severity', severity } : undefined;
  });
  engineerAction('status', (body) => {
    const status = text(body, 'status', 10);
    return status === 'pending' || status === 'resolve' || status === 'close' ? { kind: 'status', status } : undefined;
  });
  engineerAction('assign', (body) => ({ kind: 'assign', engineer: text(body, 'assignee', 254) }));
  engineerAction('page', (body) => {
    const action = text(body, 'action', 20);
    return action === 'acknowledge' || action === 'resolve' ? { kind: 'page', action } : undefined;
  });

  app.get<{ Params: { ref: string; id: string } }>('/tickets/:ref/attachments/:id', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    const file = /^\d{1,12}$/.test(request.params.id) ? await portal.attachment({ viewer: viewerOf(request.signedIn), ref: request.params.ref, id: Number(request.params.id) }) : undefined;
    if (!file || !(await deps.attachmentStore.ensure(file.sha256))) return notFound(request, reply);
    // Always a download, never rendered here: a customer's HTML file must not run on the portal's origin.
    const ascii = file.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, no-store')
      .send(deps.attachmentStore.open(file.sha256));
  });

  app.get('/queue', async (request, reply) => {
    if (!request.signedIn) return toLogin(request, reply);
    if (request.signedIn.role !== 'engineer') return notFound(request, reply);
    const tickets = await portal.queue();
    return page(request, reply, 'queue', {
      pageTitle: 'Queue',
      none: tickets.length === 0,
      count: tickets.length,
      tickets: tickets.map((ticket) => ({ ref: ticket.ref, href: `/tickets/${ticket.ref}`, subject: ticket.subject || '(no subject)', severity: ticket.severity, requester: ticket.requesterEmail, status: ticket.status, assignee: ticket.assignee ?? '', slaDue: ticket.slaDueAt ? time(ticket.slaDueAt) : '', overdue: ticket.overdue })),
    });
  });
}
