/**
 * Every page of the support portal with the variables its Mustache template may use: the contract with
 * operators who replace a page (templates.pagesDir). Templates are checked against it when loaded, like the
 * mail templates; config/pages/README.md is generated from it. Pages are HTML: every {{value}} is escaped;
 * only the layout's {{{body}}} (the rendered page) is not.
 */
import type { TemplateSpec, VariableSpec } from './templates.catalog.js';

const FORM = { csrfToken: { description: 'the form token every POST must carry (hidden field _csrf)' } } satisfies Record<string, VariableSpec>;
const PASSWORD_RULES = {
  minChars: { description: 'the shortest password accepted (8)' },
  maxChars: { description: 'the longest password accepted (128)' },
} satisfies Record<string, VariableSpec>;
const item = (fields: Record<string, string | VariableSpec>, description: string): VariableSpec => ({ description, item: fields });

export const PAGE_CATALOG = {
  layout: {
    description: 'Around every page: head, the bar with the navigation and the sign-out button.',
    variables: {
      ...FORM,
      title: { description: 'the page title' },
      supportName: { description: 'support.name' },
      body: { description: 'the rendered page (use {{{body}}}: it is HTML already)' },
      notice: { description: 'a one-line confirmation of the last action, e.g. "Your reply was sent."; may be empty' },
      signedIn: item({ name: 'the user\'s name', email: 'the user\'s address', isEngineer: 'true for engineers' }, 'the signed-in user; false on the public pages'),
    },
  },
  message: {
    description: 'A short answer: sign-up sent, address confirmed, link expired, not found, form expired.',
    variables: {
      title: { description: 'the heading' },
      paragraphs: { description: 'the sentences', strings: true },
      ok: { description: 'true for good news, false for a problem' },
      link: item({ href: 'where it goes', text: 'its label' }, 'a link to go on with; may be false'),
      helpAddress: { description: 'where to write with questions' },
    },
  },
  register: {
    description: 'GET /register: the sign-up form (Name, Email, Sign up).',
    variables: {
      ...FORM,
      supportName: { description: 'support.name' },
      name: { description: 'the name typed so far' },
      email: { description: 'the address typed so far (or from the invitation link)' },
      problems: item({ name: 'what is wrong with the name', email: 'what is wrong with the address' }, 'problems of the last attempt'),
      helpAddress: { description: 'support.signupHelpAddress or support.address' },
    },
  },
  verify: {
    description: 'GET /verify?token=...: confirm the address and choose a password. Nothing changes until its button is pressed.',
    variables: {
      ...FORM,
      ...PASSWORD_RULES,
      token: { description: 'the link\'s token (hidden field)' },
      email: { description: 'the address being confirmed' },
      name: { description: 'the name given at sign-up' },
      problems: item({ name: 'what is wrong with the name', password: 'what is wrong with the password' }, 'problems of the last attempt'),
    },
  },
  login: {
    description: 'GET /login: Email, Password, Sign in.',
    variables: {
      ...FORM,
      email: { description: 'the address typed so far' },
      next: { description: 'the page to land on after signing in (a path of the portal)' },
      failed: { description: 'true after a wrong address or password' },
      throttled: { description: 'true after too many failures' },
      throttleMinutes: { description: 'accounts.loginThrottleMinutes' },
    },
  },
  'reset-request': {
    description: 'GET /reset: ask for a password link.',
    variables: { ...FORM, email: { description: 'the address typed so far' } },
  },
  'reset-form': {
    description: 'GET /reset?token=...: choose a (new) password through a link.',
    variables: {
      ...FORM,
      ...PASSWORD_RULES,
      token: { description: 'the link\'s token (hidden field)' },
      email: { description: 'the account\'s address' },
      welcome: { description: 'true for the welcome link of an imported user (first password)' },
      problem: { description: 'what is wrong with the password typed' },
    },
  },
  tickets: {
    description: 'GET /tickets: the tickets the user may see, with search and an open/closed filter.',
    variables: {
      heading: { description: '"My tickets", "Tickets of ORGANISATION" or "All tickets"' },
      canCreate: { description: 'true for customers (engineers open tickets by mail on behalf of customers)' },
      q: { description: 'the search text' },
      filters: item({ value: 'open, closed or all', label: 'its label', selected: 'true for the current one' }, 'the status filter'),
      none: { description: 'true when nothing matches' },
      count: { description: 'how many are shown' },
      truncated: { description: 'true when there were more than shown' },
      tickets: item({ ref: 'CS-12', href: '/tickets/CS-12', subject: 'subject', severity: 'SEV1..SEV4', status: 'new, open, pending, resolved, closed', updated: 'last change (UTC)', updatedIso: 'the same, ISO 8601', slaDue: 'when the next response is due; empty when none' }, 'the tickets'),
    },
  },
  'ticket-new': {
    description: 'GET /tickets/new: Subject, Severity, Description, Attachments, Create ticket.',
    variables: {
      action: { description: 'the form\'s action (carries the form token: a multipart body is read only after it is checked)' },
      subject: { description: 'the subject typed so far' },
      description: { description: 'the description typed so far' },
      severities: item({ level: 'SEV1..SEV4', meaning: 'what it means (the support procedure\'s words)', selected: 'true for the chosen one' }, 'the severities to choose from'),
      problems: item({ subject: 'what is wrong with the subject', description: 'what is wrong with the description', form: 'a problem of the whole form' }, 'problems of the last attempt'),
      maxFiles: { description: 'http.maxUploadFiles' },
      maxUploadMb: { description: 'http.maxUploadBytes in MB' },
    },
  },
  ticket: {
    description: 'GET /tickets/REF: the conversation, the reply form and, for engineers, their actions.',
    variables: {
      ...FORM,
      ticket: item(
        { ref: 'CS-12', subject: 'subject', severity: 'SEV1..SEV4', priority: 'Urgent..Low', status: 'status', requester: 'Name <address>', created: 'opened (UTC)', createdIso: 'the same, ISO 8601', slaDue: 'when the next response is due; empty when none', assignee: 'the engineer who took it; may be empty', linkedRef: 'the closed ticket it continues; may be empty', linkedHref: 'its page' },
        'the ticket',
      ),
      messages: item(
        { author: 'who wrote it', at: 'when (UTC)', atIso: 'the same, ISO 8601', internal: 'true for engineers-only messages', fromOutsideOrganisation: 'true for a mail from outside the requester\'s organisation, kept internal (engineers only)', outbound: 'true for support\'s messages', body: 'the text', hasAttachments: 'true when it has files', attachments: item({ name: 'file name', href: 'download link', size: 'its size' }, 'its files') },
        'the conversation in time order (without internal messages for customers)',
      ),
      problem: { description: 'what went wrong with the last action; may be empty' },
      canReply: { description: 'true when the user may write on the ticket' },
      replyAction: { description: 'the reply form\'s action (carries the form token)' },
      isEngineer: { description: 'true for engineers' },
      closed: { description: 'true when the ticket is closed' },
      canResolve: { description: 'true when the customer may mark it resolved' },
      resolveAction: { description: 'the "Mark resolved" form\'s action' },
      maxFiles: { description: 'http.maxUploadFiles' },
      maxUploadMb: { description: 'http.maxUploadBytes in MB' },
      engineer: item(
        {
          noteAction: 'the internal note form\'s action',
          severityAction: 'the severity form\'s action',
          statusAction: 'the status form\'s action',
          assignAction: 'the assignee form\'s action',
          pageAction: 'the page acknowledge/resolve form\'s action',
          severities: item({ level: 'SEV1..SEV4', meaning: 'what it means', selected: 'the current one' }, 'severities'),
          statuses: item({ value: 'pending, resolve or close', label: 'its label' }, 'status changes (the #commands)'),
          engineers: item({ email: 'address', label: 'name and address', selected: 'the current assignee' }, 'engineers who may take it'),
        },
        'the engineer\'s forms; false for customers',
      ),
    },
  },
  queue: {
    description: 'GET /queue (engineers): open tickets by severity, then by SLA due time. The page behind the link in pages and webhook events leads to each ticket.',
    variables: {
      none: { description: 'true when nothing is open' },
      count: { description: 'how many' },
      tickets: item({ ref: 'CS-12', href: '/tickets/CS-12', subject: 'subject', severity: 'SEV1..SEV4', requester: 'address', status: 'status', assignee: 'assignee', slaDue: 'when due', overdue: 'true when past due' }, 'the open tickets'),
    },
  },
} satisfies Record<string, TemplateSpec>;

export type PageName = keyof typeof PAGE_CATALOG;
export const PAGE_NAMES = Object.keys(PAGE_CATALOG) as PageName[];
