import type { Command } from 'commander';
import { loadConfig, type ConfigResult } from '../config/config.loader.js';
import { loadMailTemplates } from '../modules/templates/templates.loader.js';
import { loadPageTemplates } from '../modules/templates/pages.loader.js';
import { CliExit, printJson, type CliIo } from './cli.io.js';

/** A valid config is also checked for its mail templates and portal pages (the operator's folders, if any): the daemon would refuse them. */
function withTemplatesChecked(result: ConfigResult): ConfigResult {
  if (!result.ok) return result;
  const templates = loadMailTemplates({ dir: result.config.templates.dir });
  const pages = loadPageTemplates({ dir: result.config.templates.pagesDir });
  const problems = [...(templates.ok ? [] : templates.problems.map((message) => ({ path: 'templates.dir', message }))), ...(pages.ok ? [] : pages.problems.map((message) => ({ path: 'templates.pagesDir', message })))];
  return problems.length === 0 ? result : { ok: false, problems };
}

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('configuration tools');

  config
    .command('check')
    .description('validate a configuration file (with TICKETD_* environment overrides), its mail templates and portal pages; exit 1 on any problem')
    .requiredOption('--config <file>', 'configuration file')
    .option('--json', 'print { ok, problems: [{ path, message }] }')
    .addHelpText('after', '\nExample:\n  TICKETD_IMAP_PASSWORD=secret ticketd config check --config config/ticketd.yaml')
    .action((options: { config: string; json?: boolean }) => {
      const result = withTemplatesChecked(loadConfig({ file: options.config }));
      if (options.json) {
        // Problems only, never the config itself: it holds the passwords.
        printJson(io, { ok: result.ok, problems: result.ok ? [] : result.problems });
        if (!result.ok) throw new CliExit(1);
        return;
      }
      if (result.ok) {
        io.out(`${options.config}: configuration is valid`);
        return;
      }
      io.err(`${options.config}: ${result.problems.length} problem(s):`);
      for (const problem of result.problems) io.err(`  ${problem.path}: ${problem.message}`);
      throw new CliExit(1);
    });
}
