import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { isValidTimezone } from '../modules/desk/business-hours.models.js';
import { isPublicSuffix } from '../modules/desk/address.models.js';
import { envNameOf } from './config.keys.js';
import { accounts, http } from './config.web.schema.js';
import { checkOAuth2, loginMethod, oauth2Settings } from './config.oauth2.schema.js';
import { isValidSlaTarget } from '../modules/desk/response-target.models.js';

/**
 * The one configuration schema. Every key has a description (it feeds `config check`, the example file and
 * the README) and can be overridden from the environment: `imap.password` -> `TICKETD_IMAP_PASSWORD`,
 * `support.ticketPrefix` -> `TICKETD_SUPPORT_TICKET_PREFIX`; arrays are comma-separated.
 */
const port = z.number().int().min(0).max(65535);
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/, 'must be a domain name such as example.com');
const email = z.string().trim().toLowerCase().email('must be an email address');

const DEFAULT_DATABASE_PATH = './data/ticketd.sqlite';
const database = z
  .object({
    path: z.string().min(1).default(DEFAULT_DATABASE_PATH).describe('SQLite database file (created with its folder if missing). With database.url set it is not opened; the stores default to the folder beside it.'),
    url: z.string().default('').refine((value) => value === '' || /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL (postgres://user@host:5432/ticketd)').describe('PostgreSQL instead of SQLite: postgres://user@host:5432/database (migrations applied at start-up; several instances may share it). Put the password in TICKETD_DATABASE_URL or ~/.pgpass, not in the file.'),
  })
  .strict();

const storage = z
  .object({
    path: z
      .string()
      .default('')
      .describe('Folder of the content-addressed stores (raw mail gzip-compressed, attachments); empty: `store` beside the database file. With database.url set and this empty, the blobs are kept in PostgreSQL (every instance reads what any stored) and that folder is only this instance\'s copy; set it instead to a folder every instance shares (NFS, ...) to keep them out of the database.'),
  })
  .strict();

/** Ticket references look like PREFIX-12: also the rule for each mailbox's own prefix. */
const ticketPrefix = z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be 1-10 upper-case letters or digits, starting with a letter');

/** One mailbox of several (imap.mailboxes): a folder of the IMAP login, with its own address, ticket prefix, cursor and lease. */
const deskMailbox = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1-40 lower-case letters, digits, - or _, starting with a letter or digit')
      .describe('Names the mailbox in logs, /readyz and the database (its cursor and lease); never change it once mail went through.'),
    folder: z.string().min(1).default('INBOX').describe('Folder of the IMAP login this mailbox reads.'),
    address: email.describe('The address customers write to for this mailbox; the sender of its tickets\' mail.'),
    prefix: ticketPrefix.describe('Ticket references of this mailbox look like PREFIX-12.'),
    processedFolder: z.string().default('').describe('As imap.processedFolder, for this mailbox.'),
  })
  .strict();

const imap = z
  .object({
    host: z.string().min(1).describe('IMAP server of the help@ mailbox.'),
    port: port.default(993).describe('IMAP port (993 for TLS, 143 for plain).'),
    secure: z.boolean().default(true).describe('Use TLS from the start.'),
    user: z.string().min(1).describe('IMAP login.'),
    password: z.string().default('').describe('IMAP password.'),
    mailbox: z.string().min(1).default('INBOX').describe('Folder watched for new mail.'),
    processedFolder: z
      .string()
      .default('')
      .describe('Folder handled mail is moved to after it is stored; empty: leave it in place and flag it \\Seen $Ticketd.'),
    pollCron: z
      .string()
      .refine((expression) => isValidCron(expression), 'must be a cron expression such as "*/30 * * * * *"')
      .default('*/30 * * * * *')
      .describe('node-cron schedule of the safety-net poll that runs besides IDLE push (seconds field allowed).'),
    idleRestartSeconds: z.number().int().min(10).default(300).describe('IDLE is restarted at least this often.'),
    commandTimeoutSeconds: z.number().int().min(1).default(60).describe('Timeout of one IMAP command.'),
    auth: loginMethod.describe('password: log in with user and password; oauth2: XOAUTH2/OAUTHBEARER with an access token from imap.oauth2 (Microsoft 365, Google).'),
    oauth2: oauth2Settings.default(oauth2Settings.parse({})),
    mailboxes: z
      .array(deskMailbox)
      .max(50)
      .default([])
      .describe('Several mailboxes of this login, each with name, folder, address and prefix (env: a JSON list); empty: one mailbox, imap.mailbox with support.address and support.ticketPrefix.'),
  })
  .strict()
  .superRefine((value, ctx) => {
    checkOAuth2('imap', value, ctx);
    checkMailboxes(value.mailboxes, ctx);
  });

/** Names, folders, addresses and prefixes must each tell one mailbox from the others. */
function checkMailboxes(mailboxes: Array<z.infer<typeof deskMailbox>>, ctx: z.RefinementCtx): void {
  for (const key of ['name', 'folder', 'address', 'prefix'] as const) {
    const seen = new Map<string, number>();
    mailboxes.forEach((mailbox, index) => {
      const value = mailbox[key].toLowerCase();
      const first = seen.get(value);
      if (first === undefined) seen.set(value, index);
      else ctx.addIssue({ code: 'custom', path: ['mailboxes', index, key], message: `is the same as imap.mailboxes[${first}].${key}: each mailbox needs its own` });
    });
  }
}

const smtp = z
  .object({
    host: z.string().min(1).describe('SMTP server for outgoing mail.'),
    port: port.default(587).describe('SMTP port.'),
    secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered.'),
    user: z.string().default('').describe('SMTP login; empty: no authentication.'),
    password: z.string().default('').describe('SMTP password.'),
    auth: loginMethod.describe('password: user and password (empty user: no login); oauth2: XOAUTH2 as user with an access token from smtp.oauth2 (Microsoft 365, Google).'),
    oauth2: oauth2Settings.default(oauth2Settings.parse({})),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.auth === 'oauth2' && value.user === '') ctx.addIssue({ code: 'custom', path: ['user'], message: `is required when smtp.auth is oauth2: the mailbox the token sends as (env ${envNameOf(['smtp', 'user'])})` });
    checkOAuth2('smtp', value, ctx);
  });

const support = z
  .object({
    address: email.describe('The help@ address customers write to; sender of confirmations.'),
    name: z.string().default('Support').describe('Display name on outgoing mail.'),
    ticketPrefix: ticketPrefix
      .default('CS')
      .describe('Ticket references look like PREFIX-12.'),
    customerDomains: z.array(domain.refine((value) => !isPublicSuffix(value), 'is a public suffix (anyone can register names under it, e.g. co.uk): approve the organisation\'s own domain')).default([]).describe('Approved customer domains: senders from these may open tickets.'),
    engineerDomains: z.array(domain).default([]).describe("The company's own domains: senders from these are engineers."),
    engineerNotify: z.array(email).default([]).describe("Engineers' addresses notified by email of each new ticket; empty: nobody."),
    requireRegistration: z
      .boolean()
      .default(true)
      .describe('Only verified users open tickets; other senders of approved domains are held and sent a registration link. false: any approved-domain sender (local demo).'),
    signupHelpAddress: z.union([email, z.literal('')]).default('').describe('Where people write when sign-up fails (named in refusals); empty: support.address.'),
  })
  .strict();

const security = z
  .object({
    replyTokenSecret: z.string().default('').describe('Secret that signs the ticket token in our Message-IDs and plus-address Reply-To (help+cs-12.<hmac>@...); empty: no tokens, threading by ids and subject only.'),
    linkKey: z.string().default('').refine((value) => value === '' || /^[0-9a-f]{64}$/i.test(value), 'must be 64 hex characters (openssl rand -hex 32)').describe('Key (64 hex characters) that seals password and verification links in the outbox, the same on every instance; empty: a key file in the stores folder. Required on PostgreSQL without storage.path.'),
    senderAuth: z
      .enum(['authres', 'verify', 'off'])
      .default('authres')
      .describe(
        'How a From address is proven: authres trusts the Authentication-Results header of our own receiving server; verify checks DKIM/SPF/DMARC itself; off trusts From (local demo only).',
      ),
    authservId: z.string().default('').describe('authserv-id of our receiving server: the only Authentication-Results header trusted (senderAuth authres).'),
  })
  .strict();

const tickets = z
  .object({
    autoCloseDays: z.number().positive().default(7).describe('Resolved tickets close after this many days without a customer reply.'),
    autoCloseCron: z
      .string()
      .refine((expression) => isValidCron(expression), 'must be a cron expression such as "0 * * * *"')
      .default('17 * * * *')
      .describe('node-cron schedule of the job that closes resolved tickets.'),
  })
  .strict();

const pager = z
  .object({
    kind: z.enum(['pagerduty', 'webhook', 'none']).default('none').describe('How on-call engineers are paged.'),
    url: z
      .string()
      .url()
      .default('https://events.pagerduty.com/v2/enqueue')
      .describe('Events API endpoint (point it at a local receiver for tests and the demo).'),
    routingKey: z.string().default('').describe('PagerDuty integration (routing) key.'),
    source: z.string().default('ticketd').describe('payload.source of every event.'),
    timeoutSeconds: z.number().int().min(1).default(10).describe('HTTP timeout of one paging request.'),
    severityRoutingKeys: z
      .partialRecord(z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4']), z.string().min(1))
      .default({})
      .describe('Routing key per severity, e.g. {SEV1: key}; overrides routingKey (env: JSON).'),
    organisationRoutingKeys: z
      .record(domain, z.string().min(1))
      .default({})
      .describe("Routing key per organisation (the requester's domain), e.g. {acme.com: key}; overrides the others (env: JSON)."),
    escalationRoutingKey: z.string().default('').describe('Routing key of SLA-breach escalations (dedup_key REF/sla); empty: the ticket\'s own routing key.'),
  })
  .strict()
  // On the slice, not the root: zod skips a root refinement while any other key is invalid.
  .superRefine((value, ctx) => {
    if (value.kind === 'pagerduty' && value.routingKey === '') {
      ctx.addIssue({ code: 'custom', path: ['routingKey'], message: 'is required when pager.kind is pagerduty' });
    }
  });

const webhook = z
  .object({
    url: z.string().url().or(z.literal('')).default('').describe('Generic webhook receiving signed JSON ticket events; empty: off. On besides PagerDuty, or alone with pager.kind webhook.'),
    secret: z.string().default('').describe('HMAC-SHA256 key of the X-Ticketd-Signature header (see README, "Webhook events").'),
    timeoutSeconds: z.number().int().min(1).default(10).describe('HTTP timeout of one webhook request.'),
  })
  .strict();

const severityRecord = <T extends z.ZodType>(value: T, defaults: { SEV1: z.infer<T>; SEV2: z.infer<T>; SEV3: z.infer<T>; SEV4: z.infer<T> }, what: string) =>
  z
    .object({
      SEV1: value.default(defaults.SEV1 as never).describe(`SEV1: ${what}.`),
      SEV2: value.default(defaults.SEV2 as never).describe(`SEV2: ${what}.`),
      SEV3: value.default(defaults.SEV3 as never).describe(`SEV3: ${what}.`),
      SEV4: value.default(defaults.SEV4 as never).describe(`SEV4: ${what}.`),
    })
    .strict();

const pageRule = z.enum(['always', 'business-hours', 'never']);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time such as 09:00');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const pagingPolicy = severityRecord(pageRule, { SEV1: 'always', SEV2: 'always', SEV3: 'business-hours', SEV4: 'business-hours' }, 'when to page: always, business-hours (else queued to the next business-hours start) or never');
const paging = z
  .object({
    policy: pagingPolicy.default(pagingPolicy.parse({})),
    timezone: z.string().refine(isValidTimezone, 'must be an IANA time zone such as Europe/Berlin').default('UTC').describe('Time zone of business hours and holidays (IANA name).'),
    businessDays: z.array(weekday).min(1, 'needs at least one day').default(['mon', 'tue', 'wed', 'thu', 'fri']).describe('Days with business hours.'),
    businessHoursStart: hhmm.default('09:00').describe('Business hours start (local time).'),
    businessHoursEnd: hhmm.default('17:00').describe('Business hours end (local time).'),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')).default([]).describe('Local dates without business hours.'),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.businessHoursEnd <= value.businessHoursStart) ctx.addIssue({ code: 'custom', path: ['businessHoursEnd'], message: 'must be after businessHoursStart' });
  });

const slaTarget = z.string().refine(isValidSlaTarget, 'must be a target such as 30m, 2h, 1d (calendar) or 8bh, 2bd (business hours / days)');
const firstResponse = severityRecord(slaTarget, { SEV1: '30m', SEV2: '2h', SEV3: '8bh', SEV4: '2bd' }, 'first-response target');
const update = severityRecord(slaTarget, { SEV1: '1h', SEV2: '4h', SEV3: '2bd', SEV4: '5bd' }, 'update target: once answered, a ticket on us again (new or open) must get the next engineer reply within it, counted from the last reply or from the customer\'s return to a pending or resolved ticket');
const sla = z
  .object({
    firstResponse: firstResponse.default(firstResponse.parse({})),
    update: update.default(update.parse({})),
    organisations: z
      .record(domain, z.object({ firstResponse: z.partialRecord(z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4']), slaTarget).optional(), update: z.partialRecord(z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4']), slaTarget).optional() }).strict())
      .default({})
      .describe("Per organisation (requester's domain) overrides, e.g. {acme.com: {firstResponse: {SEV1: 15m}}} (env: JSON)."),
    warnAtPercent: z.number().int().min(1).max(99).default(80).describe('Warn engineers when this share of a first-response or update target has passed without a reply.'),
    checkCron: z
      .string()
      .refine((expression) => isValidCron(expression), 'must be a cron expression')
      .default('0 * * * * *')
      .describe('node-cron schedule of the SLA check of open tickets.'),
  })
  .strict();

// Push delivery: an MTA (Postfix `lmtp:`, Dovecot's LMTP proxy, Exim) hands help@'s mail straight to ticketd.
const lmtp = z
  .object({
    port: port
      .default(0)
      .describe('Port of the LMTP listener a mail server delivers help@ to (README, "LMTP"); 0: off, mail arrives over IMAP only. With it set, the imap section may be left out.'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the LMTP listener binds; it has no AUTH or TLS, so keep it on loopback or a private network only the MTA reaches.'),
    maxConnections: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Most simultaneous LMTP connections (one message each at a time); more are refused with 421 and the MTA retries.'),
  })
  .strict();

const limits = z
  .object({
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(50 * 1024 * 1024)
      .describe('Larger messages are quarantined as too-large without being parsed.'),
    messageBudgetMs: z
      .number()
      .int()
      .min(50)
      .default(1000)
      .describe(
        'CPU budget of one message: parsing and reading it (classification, reply text, severity) in a worker thread, before any database write. A message over budget is quarantined as over-budget and its worker stopped, so it holds up the mail behind it by this long at most.',
      ),
    messageBudgetMsPerMiB: z
      .number()
      .int()
      .min(0)
      .default(250)
      .describe('Added to limits.messageBudgetMs for each MiB of the raw message: big mail takes longer to parse (about 60-80 ms per MiB here).'),
    parseWorkers: z.number().int().min(1).max(16).default(1).describe('Worker threads that parse mail at once, each about 35 MB resident. One keeps up with the database side on a 2-core machine (BENCHMARKS.md).'),
    parseTimeoutSeconds: z.number().int().positive().default(30).describe('The most any one message may take to parse and read, however big (caps the budget above).'),
    autoRepliesPerHour: z.number().int().min(0).default(5).describe('Most automatic mails (confirmations, registration links, refusals) one address gets per hour.'),
    newTicketsPerHour: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Flood guard: more new tickets from one sender per hour are quarantined (flood-guard); an authenticated customer\'s SEV1 among them still pages, once per sender per hour, marked as a flood.'),
    signupsPerHour: z.number().int().min(1).default(3).describe('Most registration requests per address per hour.'),
    signupsPerHourPerIp: z.number().int().min(1).default(20).describe('Most registration requests per client IP per hour.'),
    verificationLinkHours: z.number().positive().default(24).describe('A verification link expires after this many hours.'),
    heldDays: z
      .number()
      .positive()
      .default(14)
      .describe(
        'Mail held for an unregistered sender is quarantined as sender-never-verified after this many days (checked on tickets.autoCloseCron); `ticketd reprocess ID` still turns it into a ticket once the sender is registered.',
      ),
  })
  .strict();

const outbox = z
  .object({
    maxAttempts: z.number().int().min(1).default(12).describe('Deliveries that still fail after this many attempts become dead letters.'),
    maxAgeHours: z.number().positive().default(48).describe('Deliveries older than this are not retried any more (dead letters).'),
    pollSeconds: z.number().positive().default(5).describe('How often the delivery worker looks for due deliveries.'),
    retryBaseSeconds: z.number().positive().default(5).describe('First retry delay of a failed delivery; it doubles per attempt (with jitter).'),
    retryMaxSeconds: z.number().positive().default(900).describe('Longest delay between two delivery attempts.'),
  })
  .strict();

const templates = z
  .object({
    dir: z
      .string()
      .default('')
      .describe(
        'Folder of operator templates: NAME.txt and NAME.html files there replace the built-in ones of that name (see config/templates/README.md for names and variables); empty: the built-in templates.',
      ),
    pagesDir: z
      .string()
      .default('')
      .describe('Folder of operator portal pages: NAME.mustache files there replace the built-in ones of that name (see config/pages/README.md for names and variables); empty: the built-in pages.'),
  })
  .strict();

const log = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level.'),
    format: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe('Log lines on stderr: json, pretty (readable), or auto (pretty on a terminal, JSON otherwise).'),
  })
  .strict();

export const configSchema = z
  .object({
    database: database.default({ path: DEFAULT_DATABASE_PATH, url: '' }),
    storage: storage.default({ path: '' }),
    // Optional only when LMTP delivers the mail (lmtp.port); checked below.
    imap: imap.optional(),
    smtp,
    support,
    pager: pager.default({ kind: 'none', url: 'https://events.pagerduty.com/v2/enqueue', routingKey: '', source: 'ticketd', timeoutSeconds: 10, severityRoutingKeys: {}, organisationRoutingKeys: {}, escalationRoutingKey: '' }),
    webhook: webhook.default(webhook.parse({})),
    paging: paging.default(paging.parse({})),
    sla: sla.default(sla.parse({})),
    security: security.default(security.parse({})),
    tickets: tickets.default(tickets.parse({})),
    http: http.default(http.parse({})),
    lmtp: lmtp.default(lmtp.parse({})),
    accounts: accounts.default(accounts.parse({})),
    limits: limits.default(limits.parse({})),
    outbox: outbox.default(outbox.parse({})),
    templates: templates.default(templates.parse({})),
    log: log.default(log.parse({})),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.pager.kind === 'webhook' && value.webhook.url === '') ctx.addIssue({ code: 'custom', path: ['webhook', 'url'], message: 'is required when pager.kind is webhook' });
  })
  // Run even while other keys are invalid (`when`), so a missing imap section is reported with the rest at once.
  .refine(
    (value) => {
      const given = value as { imap?: unknown; lmtp?: { port?: unknown } };
      return given.imap !== undefined || (typeof given.lmtp?.port === 'number' && given.lmtp.port > 0);
    },
    { path: ['imap'], message: 'is required unless lmtp.port is set (then mail may arrive over LMTP only)', when: () => true },
  );

export type Config = z.infer<typeof configSchema>;
