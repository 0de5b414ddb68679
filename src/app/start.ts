import path from 'node:path';
import type { Config } from '../config/config.schema.js';
import { createIntake } from '../modules/intake/intake.usecases.js';
import { createIntakeRepository } from '../modules/intake/intake.repository.js';
import { createSmtpMailSender } from '../modules/mail-out/drivers/smtp.mail-driver.js';
import { createImapflowMailbox } from '../modules/mailbox/drivers/imapflow.mailbox-driver.js';
import { syncMailbox } from '../modules/mailbox/mailbox.sync.js';
import { createMailboxWatcher } from '../modules/mailbox/mailbox.watcher.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { createOutboxWorker } from '../modules/outbox/outbox.worker.js';
import { createPagerDutyPager } from '../modules/paging/drivers/pagerduty.pager-driver.js';
import type { Pager } from '../modules/paging/pager.types.js';
import { createBlobStore } from '../modules/store/blob-store.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { closeDatabase, openDatabase } from '../shared/db.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { startHttpServer } from './http.server.js';
import { createMetrics } from './metrics.js';
import { checkReadiness } from './readiness.js';

/**
 * The one composition root: everything ticketd is made of, wired from the parsed config. Commands that only
 * read (tickets list, ...) use the repositories; `ingest` adds the intake and the outbox; `run` the daemon.
 */
export function buildServices({ config, logger = createLogger({ level: config.log.level, format: config.log.format }), clock = systemClock }: { config: Config; logger?: Logger; clock?: Clock }) {
  const db = openDatabase({ path: config.database.path });
  const repositories = {
    tickets: createTicketsRepository({ db }),
    intake: createIntakeRepository({ db }),
    outbox: createOutboxRepository({ db }),
  };
  const storageDir = config.storage.path || path.join(path.dirname(config.database.path), 'store');
  const stores = {
    raw: createBlobStore({ dir: path.join(storageDir, 'raw'), compress: true }),
    attachments: createBlobStore({ dir: path.join(storageDir, 'attachments'), compress: false }),
  };
  const metrics = createMetrics({ db, clock });
  const intake = createIntake({ db, config, clock, logger, rawStore: stores.raw, attachmentStore: stores.attachments });
  const mailSender = createSmtpMailSender({ host: config.smtp.host, port: config.smtp.port, secure: config.smtp.secure, user: config.smtp.user, password: config.smtp.password, logger });
  const pager: Pager | undefined = config.pager.kind === 'pagerduty' ? createPagerDutyPager({ url: config.pager.url, timeoutMs: config.pager.timeoutSeconds * 1000, logger }) : undefined;
  const outboxWorker = createOutboxWorker({
    repository: repositories.outbox,
    mailSender,
    pager,
    clock,
    logger: logger.child({ component: 'outbox' }),
    maxAttempts: config.outbox.maxAttempts,
    maxAgeMs: config.outbox.maxAgeHours * 3_600_000,
    pollMs: config.outbox.pollSeconds * 1000,
    backoff: { baseMs: config.outbox.retryBaseSeconds * 1000, capMs: config.outbox.retryMaxSeconds * 1000 },
    onAttempt: metrics.recordDeliveryAttempt,
  });

  function close(): void {
    mailSender.close();
    closeDatabase(db);
  }

  return { config, logger, clock, db, repositories, stores, intake, mailSender, pager, outboxWorker, metrics, close };
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
        intake: services.intake,
        rawStore: services.stores.raw,
        intakeRepository: services.repositories.intake,
        logger,
        signal,
        onIngested: () => services.outboxWorker.nudge(),
      }),
  });
  services.metrics.watchImap(() => watcher.status());
  const http =
    config.http.port > 0
      ? await startHttpServer({
          host: config.http.host,
          port: config.http.port,
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

  services.outboxWorker.start();
  watcher.start();
  logger.info({ folder, httpPort: http?.port }, 'ticketd running');

  /** Ordered shutdown: stop intake, drain the outbox briefly, close SMTP, IMAP and the database. */
  async function stop({ drainMs = 3_000 }: { drainMs?: number } = {}): Promise<void> {
    await watcher.stop();
    await services.outboxWorker.stop({ drainMs });
    await http?.close();
    services.close();
    logger.info('ticketd stopped');
  }

  return { stop, watcher, httpPort: http?.port };
}
