import type { Config } from '../../config/config.schema.js';
import { createMailauthVerifier, type DNSResolver } from './drivers/mailauth.sender-auth-driver.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import { authresVerdict, type SenderAuthVerdict } from './sender-auth.models.js';

/** Is the From address of this message proven? Per `security.senderAuth`. */
export function createSenderAuth({ security, resolver }: { security: Config['security']; resolver?: DNSResolver }) {
  const verifier = security.senderAuth === 'verify' ? createMailauthVerifier({ mta: security.authservId || 'ticketd', resolver }) : undefined;

  /** `raw` is read only when DKIM has to be checked (`verify`): big mail is not loaded for `authres`. */
  async function check({ raw, message }: { raw: () => Promise<Buffer>; message: InboundMessage }): Promise<SenderAuthVerdict> {
    const from = message.from?.address ?? '';
    if (security.senderAuth === 'off') return { authentic: true, reason: 'security.senderAuth is off' };
    if (verifier) return verifier.verify(await raw(), { sender: message.returnPath });
    return authresVerdict({ headers: message.headers.get('authentication-results') ?? [], authservId: security.authservId, from });
  }

  return { check };
}

export type SenderAuth = ReturnType<typeof createSenderAuth>;
