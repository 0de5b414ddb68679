import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr (stdout stays free for command output such as `--json`). */
export function createLogger({ level = 'info', name = 'ticketd' }: { level?: string; name?: string } = {}): Logger {
  return pino({ name, level, redact: { paths: ['*.password', '*.pass', '*.accessToken', '*.routingKey', '*.secret', 'config.*.password'], censor: '[redacted]' } }, pino.destination(2));
}

export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
