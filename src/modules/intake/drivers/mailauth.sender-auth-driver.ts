import type { DNSResolver } from 'mailauth';
import { createError } from '../../../shared/errors.js';
import { normalizeDomain, type SenderAuthVerdict } from '../sender-auth.models.js';

export type { DNSResolver };

/**
 * `verify` mode: DKIM, SPF (client IP taken from the newest Received header) and DMARC checked by mailauth
 * 4.13, the last line that runs on Node 20. The resolver is injectable so tests run without DNS. mailauth (about
 * 13 MB of a process's memory) is loaded on the first check, so a daemon in `authres` mode never carries it.
 */
export function createMailauthVerifier({ mta, resolver }: { mta: string; resolver?: DNSResolver }) {
  /**
   * `sender`: the envelope sender from our own server's topmost Return-Path. mailauth would otherwise take the
   * bottom-most Return-Path, which the sender can add, and check SPF for a domain of their choosing. Without
   * one (or for the null sender), every Return-Path line is hidden from it, so SPF falls back to our MX's
   * Received envelope-from or the HELO name, as RFC 7208 2.4 says for `<>`.
   */
  async function verify(raw: Buffer, { sender }: { sender?: string } = {}): Promise<SenderAuthVerdict> {
    let result;
    try {
      const { authenticate } = await import('mailauth');
      const input = sender ? raw : withoutReturnPath(raw);
      result = await authenticate(input, { trustReceived: true, mta, disableArc: true, disableBimi: true, ...(sender ? { sender } : {}), ...(resolver ? { resolver } : {}) });
    } catch (error) {
      throw createError({ code: 'sender_auth.verify_failed', retryable: true, cause: error });
    }
    const dmarc = result.dmarc;
    const outcome = dmarc ? dmarc.status?.result : undefined;
    // mailauth reports the organisational domain as `domain`; `header.d` is the From domain it evaluated.
    const evaluated = dmarc ? (dmarc.status as { header?: { d?: string } } | undefined)?.header?.d : undefined;
    if (outcome === 'pass' && evaluated) return { authentic: true, reason: `dmarc=pass header.from=${evaluated} (verified)`, domain: normalizeDomain(evaluated) };
    if (outcome === 'pass') return { authentic: false, reason: 'dmarc=pass without the From domain it was evaluated for (verified)' };
    return { authentic: false, reason: `dmarc=${outcome ?? 'none'} (verified)` };
  }
  return { verify };
}

/** The raw message with every Return-Path field (and its folded lines) removed from the top-level header block. */
export function withoutReturnPath(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = [crlf, lf].filter((index) => index >= 0).reduce((a, b) => Math.min(a, b), raw.length);
  const head = raw.subarray(0, end).toString('latin1');
  const kept: string[] = [];
  let dropping = false;
  for (const line of head.split(/(?<=\n)/)) {
    const folded = line.startsWith(' ') || line.startsWith('\t');
    if (!folded) dropping = /^return-path[ \t]*:/i.test(line);
    if (!dropping) kept.push(line);
  }
  return Buffer.concat([Buffer.from(kept.join(''), 'latin1'), raw.subarray(end)]);
}
