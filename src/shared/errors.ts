/**
 * Errors carry a code, a cause and whether retrying can help. Drivers map library errors into these at
 * their boundary so use cases and workers decide on `retryable` alone.
 */
export type TicketdError = Error & { code: string; retryable: boolean; details?: Record<string, unknown> };

export function createError({
  code,
  message,
  retryable = false,
  cause,
  details,
}: {
  code: string;
  message?: string;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}): TicketdError {
  const text = message ?? (cause instanceof Error ? cause.message : code);
  const error = new Error(text, cause === undefined ? undefined : { cause }) as TicketdError;
  error.code = code;
  error.retryable = retryable;
  if (details) error.details = details;
  return error;
}

export function isTicketdError(error: unknown): error is TicketdError {
  return error instanceof Error && typeof (error as TicketdError).code === 'string' && 'retryable' in error;
}

/** One line for logs and `lastError` columns: the message plus the chain of causes. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(typeof code === 'string' && !current.message.includes(code) ? `${code}: ${current.message}` : current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' <- ');
}
