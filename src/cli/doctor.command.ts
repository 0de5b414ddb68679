import type { Command } from 'commander';
import { CONFIG_OPTION, CliExit, printJson, requireConfig, type CliIo } from './cli.io.js';

export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('check what the daemon depends on: OAuth2 token endpoints (auth oauth2), IMAP login and folder, SMTP login, pager reachability, database and disk')
    .option(...CONFIG_OPTION)
    .option('--json', 'print the checks as JSON')
    .option('--timeout <seconds>', 'how long each network check may take', '10')
    .addHelpText(
      'after',
      [
        '',
        'Each check ends ok, warn or fail, with a hint on what to do. Nothing is sent: no mail, no page.',
        'Exit codes: 0 no check failed (warnings allowed), 1 a check failed or the config is invalid, 2 usage error.',
        '',
        'Examples:',
        '  ticketd doctor --config /etc/ticketd/ticketd.yaml',
        '  ticketd doctor --config ticketd.yaml --json | jq \'.checks[] | select(.verdict != "ok")\'',
      ].join('\n'),
    )
    .action(async (options: { config?: string; json?: boolean; timeout: string }) => {
      const config = requireConfig(io, options.config, { ready: true });
      // Loaded on demand, like `run`: the mail libraries are only needed here.
      const { runDoctor } = await import('../app/doctor.js');
      const checks = await runDoctor({ config, timeoutMs: Number(options.timeout) * 1000 });
      const ok = checks.every((check) => check.verdict !== 'fail');
      if (options.json) printJson(io, { ok, checks });
      else {
        for (const check of checks) {
          io.out(`${check.verdict.toUpperCase().padEnd(4)}  ${check.name.padEnd(8)}  ${check.detail}`);
          if (check.hint) io.out(`${' '.repeat(16)}hint: ${check.hint}`);
        }
        io.out(ok ? 'doctor: no check failed' : 'doctor: at least one check failed');
      }
      if (!ok) throw new CliExit(1);
    });
}
