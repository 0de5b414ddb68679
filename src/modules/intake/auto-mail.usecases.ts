import type { Config } from '../../config/config.schema.js';
import type { Logger } from '../../shared/logger.js';
import type { InboundMessage } from '../desk/inbound.types.js';
import type { CustomersRepository } from '../customers/customers.repository.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';
import type { OutboxRepository } from '../outbox/outbox.repository.js';
import type { RateLimitRepository } from '../rate-limit/rate-limit.repository.js';
import { renderNotApproved, renderRegistrationInvite } from '../registration/registration-mail.models.js';
import { publicUrlOf, registerUrl } from '../registration/registration-text.models.js';
import type { MailTemplates } from '../templates/templates.loader.js';
import type { IntakeDecision } from './intake.models.js';
import type { MessageReading } from './message-reading.models.js';

const HOUR_MS = 3_600_000;

/**
 * Every automatic mail the pipeline sends in answer to an inbound one (the confirmation, a refusal, a
 * registration invitation) goes through here: RFC 3834 first, then the recipient's bounce status, then the
 * per-address limit, which is stored so it holds across restarts.
 */
export function createAutoMail({
  config,
  customers,
  rates,
  outbox,
  templates,
  newMessageId,
  logger,
}: {
  config: Pick<Config, 'support' | 'limits' | 'http'>;
  customers: CustomersRepository;
  rates: RateLimitRepository;
  outbox: OutboxRepository;
  templates: MailTemplates;
  newMessageId: () => string;
  logger: Logger;
}) {
  const autoReplyLimit = { limit: config.limits.autoRepliesPerHour, windowMs: HOUR_MS };
  const supportDomain = config.support.address.split('@')[1] ?? 'localhost';

  /** One automatic mail to `mail.to[0]`, if RFC 3834, the address's status and the limit allow it. Returns whether it was queued. */
  /** `noAutoReplyReason`: the message's mustNotAutoReply verdict, read before the transaction. */
  async function enqueue({ noAutoReplyReason, mail, effectKey, ticketId, at }: { noAutoReplyReason: string | undefined; mail: OutboundMail; effectKey: string; ticketId: number | null; at: Date }): Promise<boolean> {
    const to = mail.to[0] ?? '';
    if (noAutoReplyReason !== undefined) return false;
    if (await customers.isBouncing(to)) return false;
    if (!(await rates.take({ bucket: 'auto-reply', key: to, limit: autoReplyLimit, now: at }))) {
      logger.warn({ to, effectKey }, 'automatic reply suppressed: per-address limit reached');
      return false;
    }
    await outbox.enqueue({ effectKey, ticketId, payload: { kind: 'email', mail }, at });
    return true;
  }

  /** The reply a held or refused sender gets (registration link, or how to get approved). */
  async function notifySender(decision: IntakeDecision, message: InboundMessage, reading: MessageReading, inboundId: number, at: Date): Promise<void> {
    if (!('notify' in decision) || !decision.notify || !message.from) return;
    const sender = message.from;
    const support = { address: config.support.address, name: config.support.name };
    const helpAddress = config.support.signupHelpAddress || config.support.address;
    const original = { messageId: message.messageId, references: message.references };
    const messageId = `notice.${newMessageId()}@${supportDomain}`;
    const mail =
      decision.notify === 'registration-link'
        ? renderRegistrationInvite({ to: sender.address, original, registerUrl: registerUrl({ publicUrl: publicUrlOf(config.http), email: sender.address }), support, helpAddress, messageId, pending: decision.reason === 'sender-not-verified', templates })
        : renderNotApproved({ to: sender.address, original, support, helpAddress, messageId, templates });
    await enqueue({ noAutoReplyReason: reading.noAutoReplyReason, mail, effectKey: `${decision.notify}:${inboundId}`, ticketId: null, at });
  }

  return { enqueue, notifySender };
}

export type AutoMail = ReturnType<typeof createAutoMail>;
