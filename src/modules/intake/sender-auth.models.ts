import { domainOf } from '../desk/address.models.js';

export type SenderAuthMode = 'authres' | 'verify' | 'off';
/** Whether the From domain is proven (DMARC-aligned), with the evidence in words. */
export type SenderAuthVerdict = { authentic: boolean; reason: string };

export type AuthResult = { method: string; result: string; props: Record<string, string> };
export type AuthenticationResults = { authservId: string; results: AuthResult[] };

/** Removes RFC 5322 comments `( ... )`, nested ones too, outside quoted strings. */
function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index] as string;
    if (quoted) {
      out += char;
      if (char === '\\') out += value[++index] ?? '';
      else if (char === '"') quoted = false;
    } else if (char === '(') depth += 1;
    else if (char === ')' && depth > 0) depth -= 1;
    else if (depth === 0) {
      if (char === '"') quoted = true;
      out += char;
    }
  }
  return out;
}

/**
 * RFC 8601 `Authentication-Results: authserv-id [version]; method=result ptype.prop=value ...; ...`.
 * Returns undefined for a header that has no authserv-id.
 */
export function parseAuthenticationResults(value: string): AuthenticationResults | undefined {
  const [head = '', ...resinfos] = stripComments(value).split(';');
  const authservId = head.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!authservId) return undefined;
  const results: AuthResult[] = [];
  for (const resinfo of resinfos) {
    const tokens = resinfo.trim().split(/\s+/).filter(Boolean);
    const [first, ...rest] = tokens;
    const match = first ? /^([a-z0-9_-]+)(?:\/\d+)?=([a-z0-9_-]+)$/i.exec(first) : null;
    if (!match) continue;
    const props: Record<string, string> = {};
    for (const token of rest) {
      const equals = token.indexOf('=');
      if (equals > 0) props[token.slice(0, equals).toLowerCase()] = token.slice(equals + 1).replace(/^"|"$/g, '').toLowerCase();
    }
    results.push({ method: (match[1] as string).toLowerCase(), result: (match[2] as string).toLowerCase(), props });
  }
  return { authservId, results };
}

/** `mail.acme.test` is aligned with `acme.test` (relaxed alignment, without a public-suffix list). */
function aligned(domain: string, fromDomain: string): boolean {
  return domain === fromDomain || domain.endsWith(`.${fromDomain}`) || fromDomain.endsWith(`.${domain}`);
}

/**
 * `authres` mode: trust only the Authentication-Results header our own receiving server wrote (the topmost
 * one carrying our authserv-id); every other one may have been written by the sender (RFC 8601 section 7.2).
 * The From domain is authentic when DMARC passed for it, or, without a DMARC result, when DKIM passed with
 * an aligned signing domain. Anything else, including no trusted header at all, is not authentic.
 */
export function authresVerdict({ headers, authservId, from }: { headers: string[]; authservId: string; from: string }): SenderAuthVerdict {
  const id = authservId.trim().toLowerCase();
  if (!id) return { authentic: false, reason: 'security.authservId is not set: no Authentication-Results header can be trusted' };
  const ours = headers.map(parseAuthenticationResults).find((parsed) => parsed?.authservId === id);
  if (!ours) return { authentic: false, reason: `no Authentication-Results from ${id}` };
  const fromDomain = domainOf(from);
  const dmarc = ours.results.find((result) => result.method === 'dmarc');
  if (dmarc) {
    const headerFrom = dmarc.props['header.from'];
    if (dmarc.result !== 'pass') return { authentic: false, reason: `dmarc=${dmarc.result} (${id})` };
    if (headerFrom && headerFrom !== fromDomain) return { authentic: false, reason: `dmarc=pass for ${headerFrom}, not the From domain ${fromDomain}` };
    return { authentic: true, reason: `dmarc=pass (${id})` };
  }
  const dkim = ours.results.find((result) => result.method === 'dkim' && result.result === 'pass' && aligned(result.props['header.d'] ?? '', fromDomain));
  if (dkim) return { authentic: true, reason: `dkim=pass header.d=${dkim.props['header.d']} (${id})` };
  return { authentic: false, reason: `no DMARC pass or aligned DKIM pass for ${fromDomain} (${id})` };
}
