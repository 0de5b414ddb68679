import type { Command } from 'commander';
import { createCustomersRepository } from '../modules/customers/customers.repository.js';
import { seedCustomerDomains } from '../modules/customers/customers.usecases.js';
import { defaultOrganisationOf } from '../modules/customers/customers.models.js';
import { isPublicSuffix } from '../modules/desk/address.models.js';
import { closeDatabase, type Db } from '../shared/db.js';
import { openConfiguredDatabase } from '../app/database.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9-]+\.)+[a-z0-9-]+$/;

/** Opens the database with support.customerDomains seeded, as the daemon does at start-up. */
export async function withCustomersDb<T>(io: CliIo, configFile: string | undefined, work: (db: Db, config: ReturnType<typeof requireConfig>) => T | Promise<T>): Promise<T> {
  const config = requireConfig(io, configFile);
  const db = await openConfiguredDatabase(config);
  try {
    await seedCustomerDomains({ db, domains: config.support.customerDomains, at: new Date() });
    return await work(db, config);
  } finally {
    await closeDatabase(db);
  }
}

export function registerDomainsCommands(program: Command, io: CliIo): void {
  const domains = program.command('domains').description('approved customer domains (who may register)');

  domains
    .command('add')
    .description('approve a customer domain')
    .argument('<domain>', 'e.g. acme.com')
    .option(...CONFIG_OPTION)
    .option('--organisation <name>', 'customer organisation (default: the domain)')
    .addHelpText('after', '\nExample:\n  ticketd domains add acme.com --organisation "ACME Corp" --config config/ticketd.yaml')
    .action(async (raw: string, options: { config?: string; organisation?: string }) => {
      const domain = raw.trim().toLowerCase();
      if (!DOMAIN.test(domain)) {
        io.err(`ticketd: not a domain name: ${raw}`);
        throw new CliExit(2);
      }
      if (isPublicSuffix(domain)) {
        io.err(`ticketd: ${domain} is a public suffix: anyone can register names under it, so approving it would let strangers sign up. Approve the organisation's own domain (e.g. acme.${domain}).`);
        throw new CliExit(1);
      }
      await withCustomersDb(io, options.config, async (db) => {
        const added = await createCustomersRepository({ db }).addDomain({ domain, organisation: options.organisation ?? defaultOrganisationOf(domain), origin: 'cli', at: new Date() });
        io.out(added ? `approved ${domain}` : `${domain} was already approved`);
      });
    });

  domains
    .command('list')
    .description('list approved domains')
    .option(...CONFIG_OPTION)
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; json?: boolean }) => {
      await withCustomersDb(io, options.config, async (db) => {
        const rows = (await createCustomersRepository({ db }).listDomains()).map((row) => ({ domain: row.domain, organisation: row.organisation, origin: row.origin, createdAt: row.createdAt.toISOString() }));
        if (options.json) printJson(io, rows);
        else printTable(io, ['DOMAIN', 'ORGANISATION', 'ORIGIN', 'ADDED'], rows.map((r) => [r.domain, r.organisation, r.origin, r.createdAt]));
      });
    });

  domains
    .command('remove')
    .description('withdraw approval of a domain (its users keep their status; new sign-ups are refused)')
    .argument('<domain>')
    .option(...CONFIG_OPTION)
    .action(async (raw: string, options: { config?: string }) => {
      const domain = raw.trim().toLowerCase();
      await withCustomersDb(io, options.config, async (db, config) => {
        if (!(await createCustomersRepository({ db }).removeDomain(domain))) {
          io.err(`ticketd: ${domain} is not an approved domain`);
          throw new CliExit(1);
        }
        io.out(`removed ${domain}`);
        if (config.support.customerDomains.includes(domain)) io.err(`note: ${domain} is listed in support.customerDomains and comes back at the next start; remove it there too.`);
      });
    });
}
