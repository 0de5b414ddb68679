/**
 * Every mail ticketd writes, with the variables its templates may use. This list is the contract with
 * operators: templates are checked against it when they are loaded (an unknown variable is an error, not an
 * empty string in a customer's inbox), and config/templates/README.md is generated from it.
 */

export type VariableSpec = {
  description: string;
  /** A list (or an object): the template iterates it with {{#name}}...{{/name}}; inside, `item` names are in scope, themselves lists at any depth. */
  item?: Record<string, string | VariableSpec>;
  /** A list of plain strings: inside {{#name}}...{{/name}}, {{.}} is the string. */
  strings?: true;
};

export type TemplateSpec = {
  /** Who receives it and when. */
  description: string;
  variables: Record<string, VariableSpec>;
};

const COMMON = {
  supportName: { description: 'support.name, the display name of the support desk' },
  supportAddress: { description: 'support.address, the help@ address' },
} satisfies Record<string, VariableSpec>;

const SEVERITY = {
  severity: { description: 'SEV1 ... SEV4' },
  severityMeaning: { description: 'what the severity means, e.g. "production unusable"' },
  priority: { description: 'Urgent, High, Normal or Low' },
} satisfies Record<string, VariableSpec>;

export const TEMPLATE_CATALOG = {
  confirmation: {
    description: 'To the customer, threaded under their mail, when their mail opened a ticket.',
    variables: {
      ...COMMON,
      ...SEVERITY,
      customerName: { description: "the customer's display name; empty when their mail had none" },
      ref: { description: 'the ticket reference, e.g. CS-42' },
      subject: { description: 'the subject of the customer\'s mail ("(no subject)" when empty)' },
      severityStated: { description: 'true when the customer named a severity, false when the default was used' },
      levels: { description: 'every severity level, to explain how to change it', item: { level: 'SEV1 ... SEV4', meaning: 'what it means', priority: 'its priority' } },
      responseTarget: { description: 'the first-response target of the customer\'s SLA, e.g. "30 minutes"; empty when none applies' },
      ticketUrl: { description: 'the ticket on the portal, e.g. https://support.example.com/tickets/CS-42; empty when the portal is off (http.port 0)' },
    },
  },
  'registration-invite': {
    description:
      "To a sender of an approved domain who is not a verified user yet: their mail is kept, here is how to register. Nothing the sender wrote (display name, subject, links) is offered: this mail goes to whoever the From names.",
    variables: {
      ...COMMON,
      registerUrl: { description: 'the sign-up page, pre-filled with their address' },
      helpAddress: { description: 'where to write when sign-up fails (support.signupHelpAddress or support.address)' },
      pending: { description: 'true when the address is registered but not confirmed yet' },
    },
  },
  'not-approved': {
    description:
      'To a sender whose domain is not an approved customer domain (sent at most a few times an hour per sender). Its From is not authenticated, so nothing the sender wrote (display name, subject, links) (not even their domain, which mail clients turn into a link) is offered: help@ must not carry an outsider\'s text to whoever they name.',
    variables: {
      ...COMMON,
      helpAddress: { description: 'where to write to get registered (support.signupHelpAddress or support.address)' },
    },
  },
  verification: {
    description: 'To someone who signed up on the registration page: the single-use link to confirm the address and choose a password.',
    variables: {
      ...COMMON,
      customerName: { description: 'always empty for web sign-ups: the name on the form was typed by whoever filled it in, not necessarily the owner of the address' },
      link: { description: 'the single-use confirmation link (it opens a page; only its button confirms)' },
      expiresHours: { description: 'hours until the link expires' },
      helpAddress: { description: 'where to write with questions' },
    },
  },
  welcome: {
    description: 'To a user the company registered (`ticketd users import --welcome`, `users add --welcome`).',
    variables: {
      ...COMMON,
      customerName: { description: "the user's name; may be empty" },
      organisation: { description: 'their organisation; may be empty' },
      link: { description: 'the single-use "set your password" link of the portal; empty when the portal is off' },
      linkHours: { description: 'hours until that link expires' },
    },
  },
  'password-reset': {
    description: 'To a user who asked for a new password on the portal (/reset): a single-use link.',
    variables: {
      ...COMMON,
      link: { description: 'the single-use link that sets a new password' },
      expiresMinutes: { description: 'minutes until the link expires' },
      helpAddress: { description: 'where to write with questions' },
    },
  },
  'signup-known': {
    description: 'To an address that signed up on /register while it already has an account: how to sign in, and a password link.',
    variables: {
      ...COMMON,
      loginUrl: { description: 'the portal\'s sign-in page' },
      link: { description: 'a single-use link that sets a new password' },
      expiresMinutes: { description: 'minutes until the link expires' },
      helpAddress: { description: 'where to write with questions' },
    },
  },
  'signup-refused': {
    description: 'To an address that signed up on /register whose domain is not an approved customer domain. Nothing typed on the form is in it.',
    variables: {
      ...COMMON,
      domain: { description: "the address's domain" },
      helpAddress: { description: 'where to write to get registered (support.signupHelpAddress or support.address)' },
    },
  },
  'engineer-notification': {
    description: 'To support.engineerNotify when a ticket opens; a reply to it is relayed to the customer.',
    variables: {
      ...COMMON,
      ...SEVERITY,
      ref: { description: 'the ticket reference' },
      subject: { description: 'the ticket subject' },
      requester: { description: 'the customer as "Name <address>" (or the bare address)' },
      requesterName: { description: "the customer's display name; may be empty" },
      requesterAddress: { description: "the customer's address" },
      organisation: { description: "the customer's domain" },
      notes: { description: 'extra lines for engineers, e.g. "Continues: closed ticket CS-3"', strings: true as const },
      text: { description: 'what the customer wrote (quoted history removed); "(no text)" when empty' },
      ticketUrl: { description: 'the ticket on the portal (internal notes, severity, status, the page); empty when the portal is off' },
    },
  },
  'engineer-followup': {
    description: "To the engineers on a ticket (its assignee, else those who answered it) when the customer writes again, by mail or on the portal; a reply to it is relayed to the customer.",
    variables: {
      ...COMMON,
      ...SEVERITY,
      ref: { description: 'the ticket reference' },
      subject: { description: 'the ticket subject' },
      status: { description: 'the ticket status after the customer\'s message (a pending or resolved ticket is open again)' },
      author: { description: 'who wrote, as "Name <address>" (the requester or a colleague)' },
      text: { description: 'what they wrote (quoted history removed); "(no text)" when empty' },
      ticketUrl: { description: 'the ticket on the portal; empty when the portal is off' },
    },
  },
  relay: {
    description: "An engineer's reply as the customer receives it, from the support address, in the customer's thread.",
    variables: {
      ...COMMON,
      ref: { description: 'the ticket reference' },
      subject: { description: 'the ticket subject' },
      text: { description: "the engineer's reply (their quoted history and ticket commands removed)" },
      engineerName: { description: "the engineer's display name; may be empty" },
      signature: { description: '"Engineer Name, Support Name", or the support name alone' },
    },
  },
  'sla-warning': {
    description: "To support.engineerNotify when sla.warnAtPercent of a ticket's first-response or update target passed without an engineer's reply.",
    variables: {
      ...COMMON,
      ref: { description: 'the ticket reference' },
      subject: { description: 'the ticket subject' },
      severity: { description: 'SEV1 ... SEV4' },
      organisation: { description: "the customer's domain" },
      firstResponse: { description: 'true when the first response is late, false when an update (a reply after the first) is' },
      target: { description: 'the target, e.g. "2h"' },
      dueAt: { description: 'when the first response is due (ISO 8601, UTC)' },
      links: { description: 'links to the ticket, when http.publicUrl is set', item: { href: 'the URL', text: 'its label' } },
    },
  },
} satisfies Record<string, TemplateSpec>;

export type TemplateName = keyof typeof TEMPLATE_CATALOG;
export const TEMPLATE_NAMES = Object.keys(TEMPLATE_CATALOG) as TemplateName[];
export type TemplateFormat = 'txt' | 'html';
export const TEMPLATE_FORMATS: TemplateFormat[] = ['txt', 'html'];

/** The values a template of this name is rendered with. */
export type TemplateView<N extends TemplateName> = {
  [K in keyof (typeof TEMPLATE_CATALOG)[N]['variables']]: (typeof TEMPLATE_CATALOG)[N]['variables'][K] extends { item: infer I }
    ? Array<{ [F in keyof I]: string }>
    : (typeof TEMPLATE_CATALOG)[N]['variables'][K] extends { strings: true }
      ? string[]
      : string | number | boolean;
};
