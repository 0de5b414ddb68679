import { describeProblem, loadConfig } from '../config/config.loader.js';
import { chooseConfigFile } from '../config/config.path.js';
import type { Config } from '../config/config.schema.js';
import { escapeForTerminal } from '../shared/terminal-text.js';

/** Thrown by a command to end with a given exit code after it printed its own message. */
export class CliExit extends Error {
  constructor(readonly exitCode: number, message = `exit ${exitCode}`) {
    super(message);
  }
}

export type CliIo = { out: (text: string) => void; err: (text: string) => void };

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/**
 * Every line a command prints goes through here (runCli wraps the io it is given): control characters from
 * mail, from servers' answers or from argv are shown as `\uXXXX` instead of acted on by the terminal. JSON
 * output stays exact JSON with the same values (see escapeForTerminal).
 */
export function terminalSafe(io: CliIo): CliIo {
  return { out: (text) => io.out(escapeForTerminal(text)), err: (text) => io.err(escapeForTerminal(text)) };
}

/** The `--config` option every command takes; without it the file is found as chooseConfigFile says. */
export const CONFIG_OPTION = ['--config <file>', 'configuration file (default: $TICKETD_CONFIG, else ./ticketd.yaml, else /etc/ticketd/ticketd.yaml)'] as const;

/**
 * The configuration file to read: the one given, or the default found; a default is named on stderr so the
 * operator sees which file a command used.
 */
export function resolveConfigFile(io: CliIo, given: string | undefined): string {
  const choice = chooseConfigFile({ given });
  if (!choice.ok) {
    io.err(`ticketd: ${choice.message}`);
    throw new CliExit(1);
  }
  if (choice.origin === 'TICKETD_CONFIG') io.err(`ticketd: using ${choice.file} (from TICKETD_CONFIG)`);
  if (choice.origin === 'default') io.err(`ticketd: using ${choice.file} (no --config given)`);
  return choice.file;
}

/**
 * Loads and validates the config file; on problems prints each with its key path and line (or variable), never
 * a value, and exits 1. `ready`: also refuse placeholders and empty secrets (`run`, `doctor`), which the
 * read-only commands do not need.
 */
export function requireConfig(io: CliIo, given: string | undefined, { ready = false }: { ready?: boolean } = {}): Config {
  const file = resolveConfigFile(io, given);
  const result = loadConfig({ file });
  if (result.ok && (!ready || result.unfinished.length === 0)) return result.config;
  const problems = result.ok ? result.unfinished : result.problems;
  io.err(result.ok ? `ticketd: ${file} is not ready to use (\`ticketd config check\` lists the same):` : `ticketd: invalid configuration in ${file}:`);
  for (const problem of problems) io.err(`  ${describeProblem(problem)}`);
  throw new CliExit(1);
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A plain aligned table for humans; `--json` is the form for programs. */
export function printTable(io: CliIo, columns: string[], rows: Array<Array<string | number>>): void {
  if (rows.length === 0) {
    io.out('(none)');
    return;
  }
  // One line per row: whitespace runs (line breaks too) become one space, other controls visible escapes,
  // before the widths are measured.
  const cells = [columns, ...rows.map((row) => row.map((cell) => escapeForTerminal(String(cell).replace(/\s+/g, ' '), { multiline: false })))];
  const widths = columns.map((_, index) => Math.min(60, Math.max(...cells.map((row) => (row[index] ?? '').length))));
  const line = (row: string[]) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        const text = cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
        return text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  io.out([line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.slice(1).map(line)].join('\n'));
}
