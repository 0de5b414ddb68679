import path from 'node:path';
import type { Config } from '../config/config.schema.js';
import { createIntake } from '../modules/intake/intake.usecases.js';
import { createParsePool } from '../modules/intake/parse-pool.js';
import { createHeldExpiryJob } from '../modules/inbound-log/held-expiry.job.js';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { createSmtpMailSender } from '../modules/mail-out/drivers/smtp.mail-driver.js';
import { createImapflowMailbox } from '../modules/mailbox/drivers/imapflow.mailbox-driver.js';
import { createLmtpIntake } from '../modules/mailbox/drivers/lmtp.mail-intake-driver.js';
import { syncMailbox } from '../modules/mailbox/mailbox.sync.js';
import { createMailboxWatcher } from '../modules/mailbox/mailbox.watcher.js';
import { createMailboxShare } from '../modules/mailbox/mailbox.share.js';
import { deskMailboxes, type DeskMailbox } from '../modules/desk/mailboxes.models.js';
import { createMailboxLeaseRepository } from '../modules/inbound-log/mailbox-lease.repository.js';
import { processOwner } from '../shared/process-owner.js';
import { createJobTicksRepository } from '../modules/jobs/job-ticks.repository.js';
import type { JobTicks } from '../shared/scheduled-job.js';
import { createTokenSources } from '../modules/oauth2/oauth2.config.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { createOutboxWorker } from '../modules/outbox/outbox.worker.js';
import { createPagerDutyPager } from '../modules/pager/drivers/pagerduty.pager-driver.js';
import { createWebhookSender } from '../modules/pager/drivers/webhook.pager-driver.js';
import { createSlaJob } from '../modules/sla/sla.job.js';
import { createSlaChecker } from '../modules/sla/sla.usecases.js';
import type { Pager } from '../modules/pager/pager.types.js';
import { createBlobStore } from '../modules/store/blob-store.js';
import { attachmentFiles, createSharedBlobStore } from '../modules/store/shared-blob-store.js';
import { createAutoCloseJob } from '../modules/tickets/auto-close.job.js';
import { createLifecycle } from '../modules/tickets/lifecycle.usecases.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import { requireMailTemplates } from '../modules/templates/templates.loader.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { closeDatabase } from '../shared/db.js';
import { openConfiguredDatabase } from './database.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createCustomersRepository } from '../modules/customers/customers.repository.js';
import { seedCustomerDomains } from '../modules/customers/customers.usecases.js';
import { createRateLimitRepository } from '../modules/rate-limit/rate-limit.repository.js';
import { createRegistration } from '../modules/registration/registration.usecases.js';
import { createAccounts } from '../modules/accounts/accounts.usecases.js';
import { createPasswordLinks } from '../modules/accounts/password-links.usecases.js';
import { fileLinkKey } from '../modules/outbox/drivers/file.link-key-driver.js';
import { createLinkSealer } from '../modules/outbox/sealed-links.models.js';
import { createPortal } from '../modules/portal/portal.usecases.js';
import { requirePageTemplates } from '../modules/templates/pages.loader.js';
import { startWebServers } from './web/web.server.js';
import { createSessionSweepJob } from '../modules/accounts/session-sweep.job.js';
import { createMetrics } from './metrics.js';
import { checkReadiness, type ImapReadiness } from './readiness.js';

/**
 * The one composition root: everything ticketd is made of, wired from the parsed config. Commands that only
 * read (tickets list, ...) use the repositories; `ingest` adds the intake and the outbox; `run` the daemon.
 */
export async function buildServices({ config, logger = createLogger({ level: config.log.level, format: config.log.format }), clock = systemClock }: { config: Config; logger?: Logger; clock?: Clock }) {
  // Templates first: a broken operator template stops start-up with every problem listed, before anything opens.
  const templates = requireMailTemplates({ dir: config.templates.dir });
  const pages = requirePageTemplates({ dir: config.templates.pagesDir });
  // Mail moved away after its commit must find that commit on disk after a power cut (see openDatabase); so must
  // mail acknowledged over LMTP, which the MTA deletes on our 250.
  const durable = deskMailboxes(config).some((desk) => desk.processedFolder !== '') || config.lmtp.port > 0;
  const db = await openConfiguredDatabase(config, { synchronous: durable ? 'FULL' : 'NORMAL' });
  await seedCustomerDomains({ db, domains: config.support.customerDomains, at: clock.now() });
  const repositories = {
    customers: createCustomersRepository({ db }),
    tickets: createTicketsRepository({ db }),
    inboundLog: createInboundLogRepository({ db }),
    outbox: createOutboxRepository({ db }),
  };
  const storageDir = config.storage.path || path.join(path.dirname(config.database.path), 'store');
  const files = {
    raw: createBlobStore({ dir: path.join(storageDir, 'raw'), compress: true }),
    attachments: createBlobStore({ dir: path.join(storageDir, 'attachments'), compress: false }),
  };
  // On PostgreSQL without a shared storage.path, the blobs live in the database, so every instance reads what any
  // stored; the folder beside the database file is then this instance's copy of them.
  const sharedInDb = Boolean(config.database.url) && !config.storage.path;
  const stores = sharedInDb ? { raw: createSharedBlobStore({ files: files.raw, db, store: 'raw' }), attachments: createSharedBlobStore({ files: files.attachments, db, store: 'attachments' }) } : files;
  // Seals the links of verification and password mails in the outbox: security.linkKey (the same on every instance), else a key file with the stores; never in the database.
  const linkKey = config.security.linkKey ? Buffer.from(config.security.linkKey, 'hex') : undefined;
  const linkSealer = createLinkSealer({ key: linkKey ? () => linkKey : fileLinkKey({ file: path.join(storageDir, 'keys', 'outbox-links.key') }) });
  const metrics = createMetrics({ db, clock });
  // Parsing and reading run in a worker thread under each message's budget (limits.messageBudgetMs).
  const parser = createParsePool({ rawStore: stores.raw, attachmentStore: stores.attachments, config, size: config.limits.parseWorkers, logger: logger.child({ component: 'parse' }) });
  const intake = createIntake({ db, config, clock, logger, rawStore: stores.raw, attachmentStore: stores.attachments, templates, parser });
  const accounts = createAccounts({ db, config, clock, logger: logger.child({ component: 'accounts' }) });
  const passwordLinks = createPasswordLinks({ db, config, accounts, sealer: linkSealer, templates, clock, logger: logger.child({ component: 'accounts' }) });
  const registration = createRegistration({ db, config, intake, accounts, passwordLinks, sealer: linkSealer, clock, logger: logger.child({ component: 'registration' }), templates });
  const portal = createPortal({ db, config, clock, logger: logger.child({ component: 'portal' }) });
  // OAuth2 access tokens for the IMAP and SMTP logins (none with auth password), asked for per connection.
  const tokens = createTokenSources({ config, logger, clock });
  const mailSender = createSmtpMailSender({ host: config.smtp.host, port: config.smtp.port, secure: config.smtp.secure, user: config.smtp.user, password: config.smtp.password, oauth2: tokens.smtp, logger, attachmentPath: attachmentFiles(stores.attachments) });
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
    // An instance on another host that died mid-delivery: its presence lapses within seconds (mailbox.share.ts).
    lapsedOwners: (now) => createMailboxLeaseRepository({ db }).lapsedInstances(now),
    linkSealer,
  });

  // Several instances on one database run each scheduled tick once (job_ticks).
  const jobTicks = createJobTicksRepository({ db });
  const holder = processOwner();
  const ticks: JobTicks = { claim: ({ job, tick }) => jobTicks.claim({ job, tick, holder, now: clock.now() }) };
  const autoClose = createAutoCloseJob({
    db,
    lifecycle: createLifecycle({ db, config, logger }),
    cron: config.tickets.autoCloseCron,
    autoCloseDays: config.tickets.autoCloseDays,
    clock,
    logger: logger.child({ component: 'auto-close' }),
    ticks,
  });

  const heldExpiry = createHeldExpiryJob({ db, cron: config.tickets.autoCloseCron, heldDays: config.limits.heldDays, clock, logger: logger.child({ component: 'held-expiry' }), ticks });

  async function close(): Promise<void> {
    void parser.close();
    mailSender.close();
    await closeDatabase(db);
  }

  return { config, logger, clock, db, templates, pages, repositories, stores, parser, intake, accounts, passwordLinks, registration, portal, linkSealer, tokens, mailSender, pager, webhook, slaChecker, outboxWorker, autoClose, heldExpiry, ticks, metrics, close };
}

export type Services = Awaited<ReturnType<typeof buildServices>>;

/** The watcher of one mailbox's folder (IDLE + poll), syncing into the intake; `fence` guards each commit (the lease). */
function createImapWatcher(services: Services, imap: NonNullable<Config['imap']>, desk: DeskMailbox, fence: () => Promise<void>) {
  const { logger } = services;
  const mailbox = createImapflowMailbox({
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    user: imap.user,
    password: imap.password,
    oauth2: services.tokens.imap,
    mailbox: desk.folder,
    processedFolder: desk.processedFolder || undefined,
    commandTimeoutMs: imap.commandTimeoutSeconds * 1000,
    maxIdleMs: imap.idleRestartSeconds * 1000,
    logger: logger.child({ component: 'imap', mailbox: desk.name }),
  });
  return createMailboxWatcher({
    mailbox,
    pollCron: imap.pollCron,
    logger: logger.child({ component: 'watcher', mailbox: desk.name }),
    sync: ({ uidValidity, signal, heardAt }) =>
      syncMailbox({
        mailbox,
        // The mailbox's name keys its cursor and is the source of its inbound rows (the folder itself without imap.mailboxes).
        folder: desk.name,
        uidValidity,
        ingest: services.intake.ingestStored,
        ingestBatch: services.intake.ingestStoredBatch,
        rawStore: services.stores.raw,
        cursorOf: services.repositories.inboundLog.getCursor,
        logger,
        signal,
        onIngested: () => services.outboxWorker.nudge(),
        fence,
        ...(heardAt === undefined ? {} : { heardAt }),
      }),
  });
}

type Watcher = ReturnType<typeof createMailboxWatcher>;

/**
 * The IMAP side under the mailboxes' leases (issue 18): of several instances on one database, each mailbox is
 * synced by the one holding its lease, and the instances share the mailboxes (mailbox.share.ts). A mailbox whose
 * holder stops renewing is taken over within 25 s (20 s of lease, a 5 s heartbeat), or at the next heartbeat when
 * the holder was a process of this host that is gone.
 */
function createImapSide(services: Services, imap: NonNullable<Config['imap']>) {
  const desks = deskMailboxes(services.config);
  const watchers = new Map<string, Watcher>();
  const share = createMailboxShare({
    mailboxes: desks.map((desk) => desk.name),
    holder: processOwner(),
    leases: createMailboxLeaseRepository({ db: services.db }),
    clock: services.clock,
    logger: services.logger.child({ component: 'lease' }),
    onTaken: (name, fence) => {
      const desk = desks.find((candidate) => candidate.name === name);
      if (!desk) return;
      const watcher = createImapWatcher(services, imap, desk, fence);
      watchers.set(name, watcher);
      watcher.start();
    },
    onLost: async (name) => {
      const stopping = watchers.get(name);
      watchers.delete(name);
      await stopping?.stop();
    },
  });
  // Until the first attempt at the leases has settled this instance is neither syncing nor a standby: readiness says
  // "not connected yet" then, rather than claiming other instances hold the mailboxes.
  let tried = false;
  return {
    start: async () => {
      try {
        await share.start();
      } finally {
        tried = true;
      }
    },
    stop: () => share.stop(),
    /** The held mailboxes' connections together (each must be up), or a standby's answer while it holds none. */
    status: (): ImapReadiness & { reconnects: number } => {
      const held = [...watchers.values()].map((watcher) => watcher.status());
      if (held.length === 0) return { connected: false, everConnected: false, disconnectedForMs: 0, reconnects: 0, ...(tried ? { standby: true } : {}) };
      return {
        connected: held.every((status) => status.connected),
        everConnected: held.every((status) => status.everConnected),
        disconnectedForMs: Math.max(...held.map((status) => (status.connected ? 0 : status.disconnectedForMs))),
        reconnects: held.reduce((sum, status) => sum + status.reconnects, 0),
      };
    },
    mailboxes: () => share.status(),
  };
}

/**
 * The LMTP side: mail an MTA delivers goes through the same pipeline entry as mail the IMAP sync downloads
 * (source `lmtp`); each commit nudges the outbox, so the confirmation and the page leave at once.
 */
function createLmtpListener(services: Services) {
  const { config } = services;
  return createLmtpIntake({
    host: config.lmtp.host,
    port: config.lmtp.port,
    maxConnections: config.lmtp.maxConnections,
    maxMessageBytes: config.limits.maxMessageBytes,
    supportAddress: config.support.address,
    rawStore: services.stores.raw,
    ingest: (arrival) => services.intake.ingestStored(arrival),
    onIngested: () => services.outboxWorker.nudge(),
    clock: services.clock,
    logger: services.logger,
  });
}

/**
 * The long-running daemon on top of the services: IMAP watcher and/or LMTP listener (at least one, the config
 * schema checks), delivery worker, health endpoint.
 */
export async function startDaemon(services: Services) {
  const { config, logger } = services;
  const folders = deskMailboxes(config).map((desk) => desk.folder);
  const imapSide = config.imap ? createImapSide(services, config.imap) : undefined;
  const lmtp = config.lmtp.port > 0 ? createLmtpListener(services) : undefined;
  // Rate-limit events only matter inside their window (an hour); keep two days for operators to look at.
  await createRateLimitRepository({ db: services.db }).prune({ before: new Date(services.clock.now().getTime() - 2 * 86_400_000) });
  if (config.security.senderAuth === 'off') logger.warn('security.senderAuth is off: anyone can forge the From of an approved domain (local demo only)');
  if (config.security.senderAuth === 'authres' && !config.security.authservId) logger.warn('security.authservId is empty: no Authentication-Results header is trusted, so mail from approved domains is quarantined');
  if (imapSide) services.metrics.watchImap(() => imapSide.status());
  const readiness = async () =>
    checkReadiness({
      db: services.db,
      imap: imapSide?.status(),
      mailboxes: imapSide?.mailboxes() ?? [],
      lmtp: lmtp?.status(),
      oldestPendingAgeSeconds: await services.metrics.oldestPendingAgeSeconds(),
      outboxMaxAgeSeconds: config.http.readyOutboxMaxAgeSeconds,
      imapGraceSeconds: config.http.readyImapGraceSeconds,
    });
  const http = await startWebServers({
    config,
    logger,
    pages: services.pages,
    accounts: services.accounts,
    passwordLinks: services.passwordLinks,
    registration: services.registration,
    portal: services.portal,
    submitWeb: services.intake.submitWeb,
    attachmentStore: services.stores.attachments,
    onChange: () => services.outboxWorker.nudge(),
    admin: { readiness, metrics: services.metrics },
  });
  if (config.http.port > 0 && !config.http.publicUrl) logger.warn('http.publicUrl is empty: links in mail point at http://host:port, and browsers keep the portal\'s Secure cookies only over https or on localhost');

  const sessionSweep = createSessionSweepJob({ accounts: services.accounts, cron: config.tickets.autoCloseCron, logger: logger.child({ component: 'accounts' }), ticks: services.ticks });
  const slaJob = createSlaJob({ checker: services.slaChecker, cron: config.sla.checkCron, logger: logger.child({ component: 'sla' }), onEnqueued: () => services.outboxWorker.nudge(), ticks: services.ticks });

  // Bound before anything runs: a port in use fails the start cleanly. What it acknowledges meanwhile waits in the
  // outbox for the worker started next.
  let lmtpPort: number | undefined;
  try {
    lmtpPort = lmtp ? (await lmtp.start()).port : undefined;
  } catch (error) {
    await http.close();
    throw error;
  }
  services.parser.warm?.();
  services.outboxWorker.start();
  services.autoClose.start();
  services.heldExpiry.start();
  sessionSweep.start();
  await imapSide?.start();
  slaJob.start();
  logger.info({ folders, httpPort: http.port, adminPort: http.adminPort, lmtpPort }, 'ticketd running');

  /**
   * Ordered shutdown: stop intake (LMTP first refuses new mail and finishes the messages in hand; what it did not
   * answer the MTA keeps), drain the outbox briefly, close SMTP, IMAP and the database.
   */
  async function stop({ drainMs = 3_000 }: { drainMs?: number } = {}): Promise<void> {
    await slaJob.stop();
    await Promise.all([lmtp?.stop({ deadlineMs: 2 * drainMs }), imapSide?.stop()]);
    await Promise.all([services.autoClose.stop(), services.heldExpiry.stop(), sessionSweep.stop()]);
    await services.outboxWorker.stop({ drainMs });
    await http.close();
    await services.close();
    logger.info('ticketd stopped');
  }

  return { stop, imap: imapSide, lmtp, httpPort: http.port, adminPort: http.adminPort, lmtpPort };
}
