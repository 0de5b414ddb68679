import { pino, type Logger } from 'pino';
import { formatLogLine } from './log-format.js';

export type { Logger };
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Logs to stderr (stdout stays free for command output such as `--json`): JSON lines, or readable lines
 * when `format` is pretty, or auto and stderr is a terminal. Secrets are redacted before either is written.
 */
export function createLogger({ level = 'info', name = 'ticketd', format = 'auto' }: { level?: string; name?: string; format?: LogFormat } = {}): Logger {
  const secretKeys = [
    'password', 'pass', 'accessToken', 'access_token', 'routingKey', 'routing_key', 'secret', 'replyTokenSecret',
    'clientSecret', 'client_secret', 'refreshToken', 'refresh_token', 'token', 'authorization',
  ];
  // Two levels below any key and the whole config (config.imap.oauth2.clientSecret) are covered.
  const paths = [...secretKeys, ...secretKeys.map((key) => `*.${key}`), ...secretKeys.map((key) => `*.*.${key}`), ...secretKeys.map((key) => `config.*.*.${key}`)];
  const options = { name, level, redact: { paths, censor: '[redacted]' } };
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (!pretty) return pino(options, pino.destination(2));
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  return pino(options, { write: (line: string) => void process.stderr.write(formatLogLine(line, { color })) });
}

export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
