import { escapeForTerminal } from './terminal-text.js';

/** pino's numeric levels, as words. */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has: shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'component']);

/**
 * One pino JSON line made readable for a terminal: `21:04:05.123 INFO  [imap] IMAP connected uidValidity=1`.
 * Redaction has already happened (pino redacts before writing), so this never sees a secret.
 */
export function formatLogLine(line: string, { color = false }: { color?: boolean } = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    const text = escapeForTerminal(line.endsWith('\n') ? line.slice(0, -1) : line, { multiline: false });
    return `${text}\n`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const label = (LEVELS[level] ?? String(level)).padEnd(5);
  // Logged values come from mail and servers (subjects, Message-IDs, error text): shown, never obeyed.
  const safe = (text: string) => escapeForTerminal(text, { multiline: false });
  const component = typeof entry.component === 'string' ? ` [${safe(entry.component)}]` : '';
  const fields = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${safe(key)}=${safe(typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value))}`);
  const painted = color ? `\u001b[${COLORS[level] ?? '0'}m${label}\u001b[0m` : label;
  return `${time} ${painted}${component} ${safe(String(entry.msg ?? ''))}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}
