import type { Config } from '../../config/config.schema.js';

/** The CPU a message may use: a base, more for bigger mail, never more than limits.parseTimeoutSeconds. */
export function messageBudgetMs(limits: Pick<Config['limits'], 'messageBudgetMs' | 'messageBudgetMsPerMiB' | 'parseTimeoutSeconds'>, bytes: number): number {
  const { messageBudgetMs: base, messageBudgetMsPerMiB, parseTimeoutSeconds } = limits;
  return Math.min(parseTimeoutSeconds * 1000, Math.round(base + (messageBudgetMsPerMiB * bytes) / 1_048_576));
}
