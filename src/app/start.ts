import path from 'node:path';
import type { Config } from '../config/config.schema.js';
import { createIntake } from '../modules/intake/intake.usecases.js';
import { createParsePool } from '../modules/intake/parse-pool.js';
import { createHeldExpiryJob } from '../modules/inbound-log/held-expiry.job.js';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { createSmtpMailSender } from '../modules/mail-out/drivers/smtp.mail-driver.js';
import { createImapflowMailbox } from '../modules/mailbox/drivers/imapflow.mailbox-driver.js';
import { syncMailbox } from '../modules/mailbox/mailbox.sync.js';
import { createMailboxWatcher } from '../modules/mailbox/mailbox.watcher.js';
import { createTokenSources } from '../modules/oauth2/oauth2.config.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { createOutboxWorker } from '../modules/outbox/outbox.worker.js';
import { createPagerDutyPager } from '../modules/pager/drivers/pagerduty.pager-driver.js';
import { createWebhookSender } from '../modules/pager/drivers/webhook.pager-driver.js';
import { createSlaJob } from '../modules/sla/sla.job.js';
import { createSlaChecker } from '../modules/sla/sla.usecases.js';
import type { Pager } from '../modules/pager/pager.types.js';
import { createBlobStore } from '../modules/store/blob-store.js';
import { createAutoCloseJob } from '../modules/tickets/auto-close.job.js';
import { createLifecycle } from '../modules/tickets/lifecycle.usecases.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import { requireMailTemplates } from '../modules/templates/templates.loader.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { closeDatabase, openDatabase } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createCustomersRepository } from '../modules/customers/customers.repository.js';
import { seedCustomerDomains } from '../modules/customers/customers.usecases.js';
import { createRateLimitRepository } from '../modules/rate-limit/rate-limit.repository.js';
import { createRegistration } from '../modules/registration/registration.usecases.js';
import { createRegistrationRoutes } from '../modules/registration/registration.http.js';
import { startHttpServer } from './http.server.js';
import { createMetrics } from './metrics.js';
import { checkReadiness } from './readiness.js';

/**
 * The one composition root: everything ticketd is made of, wired from the parsed config. Commands that only
 * read (tickets list, ...) use the repositories; `ingest` adds the intake and the outbox; `run` the daemon.
 */
export function buildServices({ config, logger = createLogger({ level: config.log.level, format: config.log.format }), clock = systemClock }: { config: Config; logger?: Logger; clock?: Clock }) {
  // Templates first: a broken operator template stops start-up with every problem listed, before anything opens.
  const templates = requireMailTemplates({ dir: config.templates.dir });
  // Mail moved away after its commit must find that commit on disk after a power cut (see openDatabase).
  const db = openDatabase({ path: config.database.path, synchronous: config.imap.processedFolder ? 'FULL' : 'NORMAL' });
  seedCustomerDomains({ db, domains: config.support.customerDomains, at: clock.now() });
  const repositories = {
    customers: createCustomersRepository({ db }),
    tickets: createTicketsRepository({ db }),
    inboundLog: createInboundLogRepository({ db }),
    outbox: createOutboxRepository({ db }),
  };
  const storageDir = config.storage.path || path.join(path.dirname(config.database.path), 'store');
  const stores = {
    raw: createBlobStore({ dir: path.join(storageDir, 'raw'), compress: true }),
    attachments: createBlobStore({ dir: path.join(storageDir, 'attachments'), compress: false }),
  };
  const metrics = createMetrics({ db, clock });
  // Parsing and reading run in a worker thread under each message's budget (limits.messageBudgetMs).
  const parser = createParsePool({ rawStore: stores.raw, attachmentStore: stores.attachments, supportAddress: config.support.address, logger: logger.child({ component: 'parse' }) });
  const intake = createIntake({ db, config, clock, logger, rawStore: stores.raw, attachmentStore: stores.attachments, templates, parser });
  const registration = createRegistration({ db, config, intake, clock, logger: logger.child({ component: 'registration' }), templates });
  // OAuth2 access tokens for the IMAP and SMTP logins (none with auth password), asked for per connection.
  const tokens = createTokenSources({ config, logger, clock });
  const mailSender = createSmtpMailSender({ host: config.smtp.host, port: config.smtp.port, secure: config.smtp.secure, user: config.smtp.user, password: config.smtp.password, oauth2: tokens.smtp, logger, attachmentPath: stores.attachments.pathOf });
  const pager: Pager | undefined = config.pager.kind === 'pagerduty' ? createPagerDutyPager({ url: config.pager.url, timeoutMs: config.pager.timeoutSeconds * 1000, logger }) : undefined;
  const webhook = config.webhook.url
    ? createWebhookSender({ url: config.webhook.url, secret: config.webhook.secret, timeoutMs: config.webhook.timeoutSeconds * 1000, clock, logger })
    : undefined;
  const slaChecker = createSlaChecker({ db, config, clock, engineerNotify: config.support.engineerNotify, logger: logger.child({ component: 'sla' }), templates });
  const outboxWorker = createOutboxWorker({
    repository: repositories.outbox,
    mailSender,
    pager,
    webhook,
    clock,
    logger: logger.child({ component: 'outbox' }),
    maxAttempts: config.outbox.maxAttempts,
    maxAgeMs: config.outbox.maxAgeHours * 3_600_000,
    pollMs: config.outbox.pollSeconds * 1000,
    backoff: { baseMs: config.outbox.retryBaseSeconds * 1000, capMs: config.outbox.retryMaxSeconds * 1000 },
    onAttempt: metrics.recordDeliveryAttempt,
  });

  const autoClose = createAutoCloseJob({
    db,
    lifecycle: createLifecycle({ db, config, logger }),
    cron: config.tickets.autoCloseCron,
    autoCloseDays: config.tickets.autoCloseDays,
    clock,
    logger: logger.child({ component: 'auto-close' }),
  });

  const heldExpiry = createHeldExpiryJob({ db, cron: config.tickets.autoCloseCron, heldDays: config.limits.heldDays, clock, logger: logger.child({ component: 'held-expiry' }) });

  function close(): void {
    void parser.close();
    mailSender.close();
    closeDatabase(db);
  }

  return { config, logger, clock, db, templates, repositories, stores, parser, intake, registration, tokens, mailSender, pager, webhook, slaChecker, outboxWorker, autoClose, heldExpiry, metrics, close };
}

export type Services = ReturnType<typeof buildServices>;

/** The long-running daemon on top of the services: IMAP watcher, delivery worker, health endpoint. */
export async function startDaemon(services: Services) {
  const { config, logger } = services;
  const folder = config.imap.mailbox;
  const mailbox = createImapflowMailbox({
    host: config.imap.host,
    port: config.imap.port,
    secure: config.imap.secure,
    user: config.imap.user,
    password: config.imap.password,
    oauth2: services.tokens.imap,
    mailbox: folder,
    processedFolder: config.imap.processedFolder || undefined,
    commandTimeoutMs: config.imap.commandTimeoutSeconds * 1000,
    maxIdleMs: config.imap.idleRestartSeconds * 1000,
    logger: logger.child({ component: 'imap' }),
  });
  const watcher = createMailboxWatcher({
    mailbox,
    pollCron: config.imap.pollCron,
    logger: logger.child({ component: 'watcher' }),
    sync: ({ uidValidity, signal }) =>
      syncMailbox({
        mailbox,
        folder,
        uidValidity,
        ingest: services.intake.ingestStored,
        rawStore: services.stores.raw,
        cursorOf: services.repositories.inboundLog.getCursor,
        logger,
        signal,
        onIngested: () => services.outboxWorker.nudge(),
      }),
  });
  // Rate-limit events only matter inside their window (an hour); keep two days for operators to look at.
  createRateLimitRepository({ db: services.db }).prune({ before: new Date(services.clock.now().getTime() - 2 * 86_400_000) });
  if (config.security.senderAuth === 'off') logger.warn('security.senderAuth is off: anyone can forge the From of an approved domain (local demo only)');
  if (config.security.senderAuth === 'authres' && !config.security.authservId) logger.warn('security.authservId is empty: no Authentication-Results header is trusted, so mail from approved domains is quarantined');
  services.metrics.watchImap(() => watcher.status());
  const http =
    config.http.port > 0
      ? await startHttpServer({
          host: config.http.host,
          port: config.http.port,
          routes: createRegistrationRoutes({ registration: services.registration, supportName: config.support.name, onChange: () => services.outboxWorker.nudge(), logger: logger.child({ component: 'http' }) }),
          readiness: () =>
            checkReadiness({
              db: services.db,
              imap: watcher.status(),
              oldestPendingAgeSeconds: services.metrics.oldestPendingAgeSeconds(),
              outboxMaxAgeSeconds: config.http.readyOutboxMaxAgeSeconds,
              imapGraceSeconds: config.http.readyImapGraceSeconds,
            }),
          metrics: services.metrics,
        })
      : undefined;

  const slaJob = createSlaJob({ checker: services.slaChecker, cron: config.sla.checkCron, logger: logger.child({ component: 'sla' }), onEnqueued: () => services.outboxWorker.nudge() });

  services.parser.warm?.();
  services.outboxWorker.start();
  services.autoClose.start();
  services.heldExpiry.start();
  watcher.start();
  slaJob.start();
  logger.info({ folder, httpPort: http?.port }, 'ticketd running');

  /** Ordered shutdown: stop intake, drain the outbox briefly, close SMTP, IMAP and the database. */
  async function stop({ drainMs = 3_000 }: { drainMs?: number } = {}): Promise<void> {
    slaJob.stop();
    await watcher.stop();
    services.autoClose.stop();
    services.heldExpiry.stop();
    await services.outboxWorker.stop({ drainMs });
    await http?.close();
    services.close();
    logger.info('ticketd stopped');
  }

  return { stop, watcher, httpPort: http?.port };
}
