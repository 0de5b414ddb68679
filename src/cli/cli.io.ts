import { loadConfig } from '../config/config.loader.js';
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

/** Loads and validates the config file; on problems prints each with its key path and exits 1. */
export function requireConfig(io: CliIo, file: string): Config {
  const result = loadConfig({ file });
  if (result.ok) return result.config;
  io.err(`ticketd: invalid configuration in ${file}:`);
  for (const problem of result.problems) io.err(`  ${problem.path}: ${problem.message}`);
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
