import type { Command } from 'commander';
import { closeDatabase } from '../shared/db.js';
import { describeDatabase, openConfiguredDatabase } from '../app/database.js';
import { migrationState, postgresMigrationState } from '../shared/migration-state.js';
import { CONFIG_OPTION, CliExit, printJson, requireConfig, type CliIo } from './cli.io.js';

/**
 * `ticketd migrate`: brings the database's schema up to date, as `ticketd run` does at start-up, and says what it
 * applied; `--check` only reports, and exits 1 when migrations are pending (for a deploy step before the switch).
 */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("apply the database's pending schema migrations (ticketd run also does at start-up)")
    .option(...CONFIG_OPTION)
    .option('--check', 'change nothing: list pending migrations and exit 1 if there are any')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  ticketd migrate --config config/ticketd.yaml\n  ticketd migrate --check --config config/ticketd.yaml   # exit 1 when the schema is behind')
    .action(async (options: { config?: string; check?: boolean; json?: boolean }) => {
      const config = requireConfig(io, options.config);
      const name = describeDatabase(config);
      const state = () => (config.database.url ? postgresMigrationState({ url: config.database.url }) : Promise.resolve(migrationState({ file: config.database.path })));
      const before = await state();
      if (options.check) {
        if (options.json) printJson(io, { database: name, applied: before.applied, pending: before.pending });
        else io.out(before.pending.length === 0 ? `${name}: up to date (${before.applied.at(-1) ?? 'no migrations'})` : `${name}: ${before.pending.length} pending: ${before.pending.join(', ')}`);
        if (before.pending.length > 0) throw new CliExit(1);
        return;
      }
      // Opening applies what is pending (both adapters do, as at start-up).
      await closeDatabase(await openConfiguredDatabase(config));
      const after = await state();
      const applied = after.applied.filter((tag) => !before.applied.includes(tag));
      if (after.pending.length > 0) throw new Error(`${name}: still pending after migrating: ${after.pending.join(', ')}`);
      if (options.json) printJson(io, { database: name, applied, schema: after.applied.at(-1) ?? null });
      else io.out(applied.length === 0 ? `${name}: up to date (${after.applied.at(-1)})` : `${name}: applied ${applied.join(', ')}; schema at ${after.applied.at(-1)}`);
    });
}
