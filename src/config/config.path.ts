import { existsSync } from 'node:fs';

/** Where a command looks for its configuration when `--config` is not given, in this order. */
export const DEFAULT_CONFIG_FILES = ['./ticketd.yaml', '/etc/ticketd/ticketd.yaml'] as const;

export type ConfigFileChoice =
  | { ok: true; file: string; origin: 'option' | 'TICKETD_CONFIG' | 'default' }
  | { ok: false; message: string };

/**
 * The configuration file a command reads: `--config`, else the TICKETD_CONFIG variable, else ./ticketd.yaml,
 * else /etc/ticketd/ticketd.yaml. A file named by the option or the variable is used even when it is missing
 * (reading it then says so); the defaults are only taken when they exist.
 */
export function chooseConfigFile({ given, env = process.env, exists = existsSync }: { given: string | undefined; env?: NodeJS.ProcessEnv; exists?: (file: string) => boolean }): ConfigFileChoice {
  if (given !== undefined && given !== '') return { ok: true, file: given, origin: 'option' };
  const fromEnv = env.TICKETD_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { ok: true, file: fromEnv, origin: 'TICKETD_CONFIG' };
  const found = DEFAULT_CONFIG_FILES.find((file) => exists(file));
  if (found) return { ok: true, file: found, origin: 'default' };
  return { ok: false, message: `no configuration file: give --config FILE, set TICKETD_CONFIG, or create ${DEFAULT_CONFIG_FILES.join(' or ')}` };
}
