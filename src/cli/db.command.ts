import type { Command } from 'commander';
import path from 'node:path';
import { copyDatabase, copyStoreFiles } from '../app/database-copy.js';
import { openConfiguredDatabase, openPostgres } from '../app/database.js';
import { sqliteTables } from '../app/postgres.schema.js';
import { closeDatabase, type Db } from '../shared/db.js';
import { redactedUrl } from '../shared/postgres-db.js';
import { createProgress } from './progress.js';
import { CONFIG_OPTION, CliExit, printJson, printTable, requireConfig, type CliIo } from './cli.io.js';

/**
 * `ticketd db copy --to postgres://...`: moves the desk the config names (SQLite) into an empty PostgreSQL
 * database (issue 18), then verifies every table by count and digest. Stop the daemon first, or it waits for the
 * copy (the copy holds SQLite's write lock); then set database.url and start it again.
 */
export function registerDbCommands(program: Command, io: CliIo): void {
  const db = program.command('db').description('move the database (SQLite to PostgreSQL)');
  db.command('copy')
    .description("copy every table of the configured SQLite desk into an empty PostgreSQL database, verified by counts and checksums")
    .option(...CONFIG_OPTION)
    .requiredOption('--to <url>', 'the target: postgres://user@host:5432/database (empty; migrations are applied first)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  ticketd db copy --config config/ticketd.yaml --to postgres://ticketd@db.internal:5432/ticketd\nThen set database.url (TICKETD_DATABASE_URL). The raw mail and attachments the rows point at are copied into PostgreSQL too.')
    .action(async (options: { config?: string; to: string; json?: boolean }) => {
      const config = requireConfig(io, options.config);
      if (config.database.url) {
        io.err('ticketd: db copy reads a SQLite desk (database.path); this config already uses database.url');
        throw new CliExit(2);
      }
      if (!/^postgres(ql)?:\/\//.test(options.to)) {
        io.err('ticketd: --to must be a postgres:// URL');
        throw new CliExit(2);
      }
      const target = redactedUrl(options.to);
      let from: Db | undefined;
      let to: Db | undefined;
      const progress = createProgress({ stream: process.stderr, total: 0, label: 'copy' });
      try {
        from = await openConfiguredDatabase(config);
        to = await openPostgres({ url: options.to });
        let bar = progress;
        const report = await copyDatabase({
          from,
          to,
          tables: Object.values(sqliteTables),
          onProgress: ({ done, total }) => {
            if (done === 0) bar = createProgress({ stream: process.stderr, total, label: 'copy' });
            bar.update(done);
          },
        });
        bar.done();
        // The files the rows point at, into PostgreSQL's blobs: instances without a shared storage.path read them there.
        const storageDir = config.storage.path || path.join(path.dirname(config.database.path), 'store');
        let storeBar = createProgress({ stream: process.stderr, total: 0, label: 'blobs' });
        const stores = await copyStoreFiles({
          from,
          to,
          storageDir,
          onProgress: ({ done, total }) => {
            if (done === 1) storeBar = createProgress({ stream: process.stderr, total, label: 'blobs' });
            storeBar.update(done);
          },
        });
        storeBar.done();
        if (options.json) printJson(io, { from: config.database.path, to: target, ...report, stores });
        else {
          printTable(io, ['TABLE', 'ROWS', 'COPIED', 'CHECKSUM'], report.tables.map((entry) => [entry.table, entry.rows, entry.targetRows, entry.same ? `same ${entry.sourceSha256.slice(0, 12)}` : 'DIFFERENT']));
          for (const entry of stores) io.out(`${entry.store}: ${entry.copied} of ${entry.blobs} files copied into blobs${entry.missing.length > 0 ? `; ${entry.missing.length} missing from ${path.join(storageDir, entry.store)}` : ''}`);
          io.out(report.same ? `copied ${report.rows} rows from ${config.database.path} to ${target}: every table verified` : `copied to ${target}, but some tables differ (above): do not switch to it`);
        }
        for (const entry of stores) for (const sha256 of entry.missing.slice(0, 20)) io.err(`ticketd: ${entry.store} ${sha256} is referenced but not in ${path.join(storageDir, entry.store)}`);
        if (!report.same) throw new CliExit(1);
      } finally {
        if (to) await closeDatabase(to);
        if (from) await closeDatabase(from);
      }
    });
}
