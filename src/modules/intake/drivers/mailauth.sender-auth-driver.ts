import { authenticate, type DNSResolver } from 'mailauth';
import { createError } from '../../../shared/errors.js';
import { normalizeDomain, type SenderAuthVerdict } from '../sender-auth.models.js';

export type { DNSResolver };

/**
 * `verify` mode: DKIM, SPF (client IP taken from the newest Received header) and DMARC checked by mailauth
 * 4.13, the last line that runs on Node 20. The resolver is injectable so tests run without DNS.
 */
export function createMailauthVerifier({ mta, resolver }: { mta: string; resolver?: DNSResolver }) {
  async function verify(raw: Buffer): Promise<SenderAuthVerdict> {
    let result;
    try {
      result = await authenticate(raw, { trustReceived: true, mta, disableArc: true, disableBimi: true, ...(resolver ? { resolver } : {}) });
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
