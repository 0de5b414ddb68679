import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

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

const database = z
  .object({
    path: z.string().min(1).default('./data/ticketd.sqlite').describe('SQLite database file (created with its folder if missing).'),
  })
  .strict();

const storage = z
  .object({
    path: z
      .string()
      .default('')
      .describe('Folder of the content-addressed stores (raw mail gzip-compressed, attachments); empty: `store` beside the database file.'),
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
  })
  .strict();

const smtp = z
  .object({
    host: z.string().min(1).describe('SMTP server for outgoing mail.'),
    port: port.default(587).describe('SMTP port.'),
    secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered.'),
    user: z.string().default('').describe('SMTP login; empty: no authentication.'),
    password: z.string().default('').describe('SMTP password.'),
  })
  .strict();

const support = z
  .object({
    address: email.describe('The help@ address customers write to; sender of confirmations.'),
    name: z.string().default('Support').describe('Display name on outgoing mail.'),
    ticketPrefix: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be 1-10 upper-case letters or digits, starting with a letter')
      .default('CS')
      .describe('Ticket references look like PREFIX-12.'),
    customerDomains: z.array(domain).default([]).describe('Approved customer domains: senders from these may open tickets.'),
    engineerDomains: z.array(domain).default([]).describe("The company's own domains: senders from these are engineers."),
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
  })
  .strict()
  // On the slice, not the root: zod skips a root refinement while any other key is invalid.
  .superRefine((value, ctx) => {
    if (value.kind === 'pagerduty' && value.routingKey === '') {
      ctx.addIssue({ code: 'custom', path: ['routingKey'], message: 'is required when pager.kind is pagerduty' });
    }
  });

const http = z
  .object({
    port: port.default(0).describe('Port of the health endpoint (/healthz); 0 disables the HTTP server.'),
    host: z.string().default('127.0.0.1').describe('Address the HTTP server listens on.'),
    readyOutboxMaxAgeSeconds: z
      .number()
      .int()
      .positive()
      .default(900)
      .describe('/readyz fails while the oldest pending delivery (confirmation, page) is older than this.'),
    readyImapGraceSeconds: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe('/readyz stays ready this long while a lost IMAP connection is being re-established.'),
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
    parseTimeoutSeconds: z.number().int().positive().default(30).describe('A message that takes longer to parse is quarantined.'),
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
    database: database.default({ path: './data/ticketd.sqlite' }),
    storage: storage.default({ path: '' }),
    imap,
    smtp,
    support,
    pager: pager.default({ kind: 'none', url: 'https://events.pagerduty.com/v2/enqueue', routingKey: '', source: 'ticketd', timeoutSeconds: 10 }),
    http: http.default(http.parse({})),
    limits: limits.default(limits.parse({})),
    outbox: outbox.default(outbox.parse({})),
    log: log.default(log.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
