import axios, { isAxiosError, type AxiosResponseHeaders, type RawAxiosResponseHeaders } from 'axios';
import { createError } from './errors.js';

export type PostAnswer = { status: number; text: string; headers: RawAxiosResponseHeaders | AxiosResponseHeaders };

type PostArgs = { url: string; body: string; headers?: Record<string, string>; timeoutMs: number; service: string; label: string };

/**
 * POSTs a JSON body and returns whatever status came back; only a failure to get an answer throws, as
 * `${service}.unreachable` (retryable). Shared by the PagerDuty and webhook drivers, which map statuses.
 */
export function postJson(args: PostArgs): Promise<PostAnswer> {
  return post({ ...args, headers: { 'Content-Type': 'application/json', ...args.headers } });
}

/** The same for an `application/x-www-form-urlencoded` body (OAuth2 token requests, RFC 6749 4.4.2). */
export function postForm({ form, ...args }: Omit<PostArgs, 'body'> & { form: Record<string, string> }): Promise<PostAnswer> {
  return post({ ...args, body: new URLSearchParams(form).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...args.headers } });
}

async function post({ url, body, headers = {}, timeoutMs, service, label }: PostArgs): Promise<PostAnswer> {
  // axios' `timeout` restarts on every byte (a socket idle timer); this signal is a hard deadline for a
  // server that trickles its answer.
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const response = await axios.post(url, body, {
      headers,
      timeout: timeoutMs,
      signal: deadline,
      transitional: { clarifyTimeoutError: true },
      // Every status is an answer for the caller to map, not an exception.
      validateStatus: () => true,
      // A redirect on a POST would turn into a GET and lose the event; treat it as a misconfigured URL.
      maxRedirects: 0,
      responseType: 'text',
    });
    return { status: response.status, text: String(response.data ?? ''), headers: response.headers };
  } catch (error) {
    const code = isAxiosError(error) ? error.code : undefined;
    const timedOut = deadline.aborted || code === 'ETIMEDOUT';
    throw createError({
      code: `${service}.unreachable`,
      message: timedOut ? `${label} did not answer within ${timeoutMs} ms` : `${label} unreachable: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
      // Never the axios error itself as cause: its `config.data` is the body, routing key or client secret included.
      cause: new Error(error instanceof Error ? error.message : String(error)),
      details: { errorCode: code, timedOut, timeoutMs },
    });
  }
}
