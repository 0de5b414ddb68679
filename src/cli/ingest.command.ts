import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { createError, describeError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { createProgress } from './progress.js';
import { CONFIG_OPTION, CliExit, requireConfig, type CliIo } from './cli.io.js';
import { withoutTrailingSlashes } from '../shared/url.js';

/**
 * The bytes of one path. A directory is an error for that path (not a maildir to walk: say which files you
 * mean, e.g. DIR/*.eml or DIR/new/*), never a crash; a FIFO or /dev/stdin is read like a file.
 */
async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  const info = await stat(path);
  if (info.isDirectory()) throw createError({ code: 'ingest.is_directory', message: `is a directory: give the message files in it (e.g. ${withoutTrailingSlashes(path)}/*.eml)` });
  return createReadStream(path);
}

export function registerIngestCommand(program: Command, io: CliIo): void {
  program
    .command('ingest')
    .description('run messages from files (or "-" for stdin, e.g. piped from an MTA) through the same pipeline as the daemon')
    .argument('<paths...>', 'RFC 5322 message files, or - for stdin')
    .option(...CONFIG_OPTION)
    .option('--json', 'print one JSON line per message')
    .option('--no-deliver', 'only queue confirmations and pages; the daemon delivers them')
    .option('--deliver-timeout <seconds>', 'how long to try delivering what was queued', '20')
    .addHelpText(
      'after',
      '\nEvery path gets one line: its outcome, or why it was not ingested (a missing file, a directory). Input that is\nnot a mail (no header block) is quarantined not-a-mail; the same bytes ingested again are the same record (a\nduplicate). --json: {path, inboundId, outcome, reason, ticketRef, alreadyIngested} or {path, error} per line.\n\nExit status: 0 when every message got a recorded outcome, 1 otherwise.\n\nExamples:\n  ticketd ingest --config config/ticketd.yaml fixtures/mail/01-sev1-outage.eml\n  ticketd ingest --config config/ticketd.yaml - < message.eml',
    )
    .action(async (paths: string[], options: { config?: string; json?: boolean; deliver: boolean; deliverTimeout: string }) => {
      const config = requireConfig(io, options.config);
      // Loaded on demand: the read-only commands start fast without the mail and HTTP libraries.
      const { buildServices } = await import('../app/start.js');
      const services = await buildServices({ config, logger: createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level }) });
      let failures = 0;
      try {
        const progress = createProgress({ stream: process.stderr, total: paths.length, label: 'ingesting', enabled: Boolean(process.stderr.isTTY) && !options.json && paths.length > 1 });
        for (const [index, path] of paths.entries()) {
          try {
            const result = await services.intake.ingestRaw({ raw: await openInput(path), source: 'file' });
            if (options.json) io.out(JSON.stringify({ path, ...result }));
            else progress.line(io.out, `${path}: ${result.outcome}${result.ticketRef ? ` ${result.ticketRef}` : ''} (${result.reason})`);
          } catch (error) {
            failures += 1;
            if (options.json) io.out(JSON.stringify({ path, error: describeError(error) }));
            progress.line(io.err, `${path}: not ingested: ${describeError(error)}`);
          }
          progress.update(index + 1);
        }
        progress.done();
        if (options.deliver) {
          const deadline = Date.now() + Number(options.deliverTimeout) * 1000;
          await services.outboxWorker.runOnce({ shouldContinue: () => Date.now() < deadline });
        }
      } finally {
        await services.close();
      }
      if (failures > 0) throw new CliExit(1);
    });
}
