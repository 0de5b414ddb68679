/** A fully rendered outbound email. `messageId` is ours (without brackets) and is kept across retries. */
export type OutboundMail = {
  from: string;
  to: string[];
  cc?: string[];
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** Files carried along (an engineer's attachments relayed to the customer), by their sha256 in the attachment store. */
  attachments?: Array<{ filename: string; contentType: string; sha256: string }>;
  /** Envelope sender (bounce address); defaults to `from`. */
  envelopeFrom?: string;
};

export type MailSender = {
  /** Throws a TicketdError: retryable for 4xx and socket errors, not for 5xx. */
  send(mail: OutboundMail): Promise<{ response: string }>;
  verify(): Promise<void>;
  close(): void;
};
