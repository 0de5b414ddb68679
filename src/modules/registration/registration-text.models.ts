import { withoutTrailingSlashes } from '../../shared/url.js';

/** `Re: Printer on fire`, without stacking `Re:`. */
export function replySubjectPlain(subject: string): string {
  const bare = subject.replace(/^\s*((re|aw|sv|fw|fwd|wg)\s*:\s*)+/i, '').trim() || '(no subject)';
  return `Re: ${bare}`;
}

/** `https://support.example.com/register?email=a%40b.c`; `publicUrl` may end with a slash. */
export function registerUrl({ publicUrl, email }: { publicUrl: string; email: string }): string {
  return `${withoutTrailingSlashes(publicUrl)}/register?email=${encodeURIComponent(email)}`;
}

export function publicUrlOf(http: { publicUrl: string; host: string; port: number }): string {
  return http.publicUrl || `http://${http.host}:${http.port}`;
}
