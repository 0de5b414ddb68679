import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { eq } from 'drizzle-orm';
import { buildServices, type Services } from '../app/start.js';
import { isEmail, normalizeEmail, type UserStatus } from '../modules/customers/customers.models.js';
import { createCustomersRepository } from '../modules/customers/customers.repository.js';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { importUsers } from '../modules/registration/users-import.usecases.js';
import { renderWelcome } from '../modules/registration/registration-mail.models.js';
import { createLogger } from '../shared/logger.js';
import { createProgress, type Progress } from './progress.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';
import { withCustomersDb } from './domains.command.js';
import { domainOf } from '../modules/desk/address.models.js';
import { portalBaseUrl } from '../modules/desk/portal-url.models.js';

/** Verified users' held mail becomes tickets now; the daemon delivers the confirmations and pages. */
async function releaseHeldOf(services: Services, emails: string[]): Promise<string[]> {
  const refs: string[] = [];
  const { db } = services;
  const t = db.tables({ inboundMessages });
  const senders = await db.selectDistinct({ fromAddress: t.inboundMessages.fromAddress }).from(t.inboundMessages).where(eq(t.inboundMessages.outcome, 'held'));
  const held = new Set(senders.map((row) => row.fromAddress));
  for (const email of emails.filter((address) => held.has(address))) {
    for (const result of await services.intake.releaseHeld({ email })) if (result.ticketRef && result.outcome === 'ticket') refs.push(result.ticketRef);
  }
  return refs;
}

export function registerUsersCommands(program: Command, io: CliIo): void {
  const users = program.command('users').description('registered customer users (who may open tickets)');

  users
    .command('add')
    .description('register a user as verified (the company vouches for them), or invite an engineer to the portal')
    .argument('<email>')
    .option(...CONFIG_OPTION)
    .option('--name <name>', 'display name', '')
    .option('--organisation <name>', 'customer organisation (default: that of the domain)')
    .option('--role <role>', 'member (their own tickets) or manager (every ticket of their organisation)')
    .option('--engineer', 'an engineer of support.engineerDomains: signs in to the portal and sees every ticket')
    .option('--welcome', 'queue a welcome mail (with a "set your password" link when the portal is on)')
    .addHelpText('after', '\nExamples:\n  ticketd users add alice@acme.com --name "Alice Martin" --welcome --config config/ticketd.yaml\n  ticketd users add carol@acme.com --role manager --config config/ticketd.yaml\n  ticketd users add dev@example.com --engineer --name "Dev On-Call" --welcome --config config/ticketd.yaml')
    .action(async (raw: string, options: { config?: string; name: string; organisation?: string; role?: string; engineer?: boolean; welcome?: boolean }) => {
      const email = normalizeEmail(raw);
      if (!isEmail(email)) {
        io.err(`ticketd: not an email address: ${raw}`);
        throw new CliExit(2);
      }
      if (options.role !== undefined && options.role !== 'member' && options.role !== 'manager') {
        io.err(`ticketd: --role must be member or manager (engineers: --engineer)`);
        throw new CliExit(2);
      }
      if (options.engineer && options.role !== undefined) {
        io.err('ticketd: --engineer and --role exclude each other');
        throw new CliExit(2);
      }
      const config = requireConfig(io, options.config);
      const services = await buildServices({ config, logger: createLogger({ level: 'warn' }) });
      try {
        const customers = createCustomersRepository({ db: services.db });
        if (options.engineer && !config.support.engineerDomains.includes(domainOf(email))) {
          io.err(`ticketd: ${domainOf(email)} is not one of support.engineerDomains (${config.support.engineerDomains.join(', ') || 'none'})`);
          throw new CliExit(1);
        }
        if (!options.engineer && !(await customers.isApprovedDomain(domainOf(email)))) {
          io.err(`ticketd: ${domainOf(email)} is not an approved domain (ticketd domains add ${domainOf(email)})`);
          throw new CliExit(1);
        }
        const now = new Date();
        const { user, change } = await services.db.transaction(async () => {
          const result = await customers.upsertUser({ email, name: options.name, organisation: options.engineer ? undefined : options.organisation, status: 'verified', at: now, reenable: true });
          const role = options.engineer ? 'engineer' : (options.role as 'member' | 'manager' | undefined);
          if (role && result.user.role !== role) await customers.setRole({ email, role });
          if (options.welcome) {
            const link = portalBaseUrl(config.http) ? await services.passwordLinks.issueLink({ userId: result.user.id, purpose: 'welcome', at: now }) : undefined;
            const mail = renderWelcome({ to: email, name: result.user.name, organisation: options.organisation, support: { address: config.support.address, name: config.support.name }, messageId: `welcome.${randomUUID()}@${config.support.address.split('@')[1]}`, templates: services.templates, ...(link ? { link: link.url, linkHours: config.accounts.welcomeLinkHours } : {}) });
            await services.repositories.outbox.enqueue({ effectKey: `welcome:${email}`, ticketId: null, payload: { kind: 'email', mail, ...(link ? { sealed: link.sealed } : {}) }, at: now });
          }
          return { ...result, user: (await customers.findUser(email)) ?? result.user };
        });
        const refs = options.engineer ? [] : await releaseHeldOf(services, [email]);
        io.out(`${change} ${user.email} (${user.status}, ${user.role})${refs.length ? `; held mail became ${refs.join(', ')}` : ''}`);
      } finally {
        await services.close();
      }
    });

  users
    .command('list')
    .description('list users')
    .option(...CONFIG_OPTION)
    .option('--status <status>', 'only pending, verified or disabled')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; status?: string; json?: boolean }) => {
      if (options.status && !['pending', 'verified', 'disabled'].includes(options.status)) {
        io.err(`ticketd: --status must be pending, verified or disabled`);
        throw new CliExit(2);
      }
      await withCustomersDb(io, options.config, async (db) => {
        const rows = (await createCustomersRepository({ db }).listUsers({ status: options.status as UserStatus | undefined })).map((u) => ({ email: u.email, name: u.name, organisation: u.organisation, status: u.status, role: u.role, verifiedAt: u.verifiedAt?.toISOString() ?? null, bouncing: u.bouncingSince !== null }));
        if (options.json) printJson(io, rows);
        else printTable(io, ['EMAIL', 'NAME', 'ORGANISATION', 'STATUS', 'ROLE', 'VERIFIED'], rows.map((u) => [u.email, u.name, u.organisation ?? '', u.status + (u.bouncing ? ' (bouncing)' : ''), u.role, u.verifiedAt ?? '']));
      });
    });

  users
    .command('disable')
    .description('disable a user: their mail no longer opens tickets')
    .argument('<email>')
    .option(...CONFIG_OPTION)
    .action(async (raw: string, options: { config?: string }) => {
      await withCustomersDb(io, options.config, async (db) => {
        const user = await createCustomersRepository({ db }).setStatus({ email: normalizeEmail(raw), status: 'disabled', at: new Date() });
        if (!user) {
          io.err(`ticketd: no user ${raw}`);
          throw new CliExit(1);
        }
        io.out(`disabled ${user.email}`);
      });
    });

  users
    .command('import')
    .description('register users in bulk from a CSV file (email,name[,organisation[,role]]; role member or manager) as verified; idempotent')
    .argument('<file>', 'CSV file, optionally with a header row')
    .option(...CONFIG_OPTION)
    .option('--welcome', 'queue a welcome mail to each new user (with a "set your password" link when the portal is on)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExit status: 0 when every row was imported, 1 when some rows were rejected (the others are imported).\n\nExample:\n  ticketd users import staff.csv --welcome --config config/ticketd.yaml')
    .action(async (file: string, options: { config?: string; welcome?: boolean; json?: boolean }) => {
      const config = requireConfig(io, options.config);
      let csvText: string;
      try {
        csvText = await readFile(file, 'utf8');
      } catch (error) {
        io.err(`ticketd: cannot read ${file}: ${(error as Error).message}`);
        throw new CliExit(1);
      }
      const services = await buildServices({ config, logger: createLogger({ level: 'warn' }) });
      try {
        const started = Date.now();
        let progress: Progress | undefined;
        const onProgress = (done: number, total: number) => {
          progress ??= createProgress({ stream: process.stderr, total, label: 'importing', enabled: Boolean(process.stderr.isTTY) && !options.json });
          progress.update(done);
        };
        const report = await importUsers({ db: services.db, config, csvText, welcome: options.welcome ?? false, at: new Date(), templates: services.templates, passwordLinks: services.passwordLinks, onProgress });
        progress?.done();
        const released = await releaseHeldOf(services, report.newlyVerified);
        const seconds = (Date.now() - started) / 1000;
        if (options.json) printJson(io, { ...report, newlyVerified: report.newlyVerified.length, releasedTickets: released, seconds });
        else {
          io.out(`${file}: ${report.rows} rows: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.errors.length} rejected; ${report.welcomes} welcome mails queued; ${released.length} held messages became tickets (${seconds.toFixed(2)} s)`);
          for (const error of report.errors) io.err(`${file}:${error.line}: ${error.email ? `${error.email}: ` : ''}${error.error}`);
        }
        if (report.errors.length > 0) throw new CliExit(1);
      } finally {
        await services.close();
      }
    });
}
