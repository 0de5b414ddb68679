import type { Command } from 'commander';
import { describeProblem, loadConfig, type ConfigProblem, type ConfigResult } from '../config/config.loader.js';
import { loadMailTemplates } from '../modules/templates/templates.loader.js';
import { loadPageTemplates } from '../modules/templates/pages.loader.js';
import { CONFIG_OPTION, CliExit, printJson, resolveConfigFile, type CliIo } from './cli.io.js';

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
    .description('validate a configuration file (with TICKETD_* environment overrides), its mail templates and portal pages as `run` would; exit 1 on any problem')
    .option(...CONFIG_OPTION)
    .option('--json', 'print { ok, problems: [{ path, message, line?, env? }], warnings: [...] }')
    .option('--allow-placeholders', "report the example file's placeholders and empty secrets as warnings, not problems (checking a template whose secrets come later)")
    .addHelpText(
      'after',
      [
        '',
        'Problems name the key with its line in the file (or the TICKETD_* variable it came from), never the value.',
        '`run` and `doctor` refuse placeholders (change-me, ...) and empty secrets the settings need; so does this check, unless --allow-placeholders.',
        '',
        'Examples:',
        '  TICKETD_IMAP_PASSWORD=secret ticketd config check --config config/ticketd.yaml',
        '  ticketd config check --config config/ticketd.example.yaml --allow-placeholders',
      ].join('\n'),
    )
    .action((options: { config?: string; json?: boolean; allowPlaceholders?: boolean }) => {
      const file = resolveConfigFile(io, options.config);
      const result = withTemplatesChecked(loadConfig({ file }));
      const unfinished = result.ok ? result.unfinished : [];
      const problems: ConfigProblem[] = result.ok ? (options.allowPlaceholders ? [] : unfinished) : result.problems;
      const warnings = result.ok && options.allowPlaceholders ? unfinished : [];
      const ok = problems.length === 0;
      if (options.json) {
        // Problems only, never the config itself: it holds the passwords.
        printJson(io, { ok, problems, warnings });
        if (!ok) throw new CliExit(1);
        return;
      }
      if (ok) {
        io.out(`${file}: configuration is valid${warnings.length ? ` as a template: ${warnings.length} placeholder(s) or empty secret(s) that run and doctor refuse:` : ''}`);
        for (const warning of warnings) io.out(`  warning: ${describeProblem(warning)}`);
        return;
      }
      io.err(`${file}: ${problems.length} problem(s):`);
      for (const problem of problems) io.err(`  ${describeProblem(problem)}`);
      if (result.ok) io.err('(a template whose secrets come later: check it with --allow-placeholders)');
      throw new CliExit(1);
    });
}
