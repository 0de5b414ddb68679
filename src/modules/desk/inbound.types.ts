/** One inbound email, normalized from mailparser's output. Addresses are lower-cased. */
export type Address = { address: string; name: string };

export type InboundAttachment = {
  /** Never empty: the sender's name (decoded, made safe), a forwarded mail's `<subject>.eml`, or one from the type. */
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /**
   * The decoded bytes, kept in memory only for small parts (up to 1 MB: delivery-status reports, quoted
   * headers); larger attachments are streamed to the attachment store and only their digest is here.
   */
  content: Buffer | undefined;
  /** The readable text of a forwarded mail (a message/rfc822 part), so it can be searched; else undefined. */
  text?: string;
};

export type InboundMessage = {
  from: Address | undefined;
  /** Envelope-ish sender from Return-Path, '' for the null sender `<>`, undefined if absent. */
  returnPath: string | undefined;
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  subject: string;
  /** Without angle brackets; undefined when the message has none. */
  messageId: string | undefined;
  inReplyTo: string[];
  references: string[];
  date: Date | undefined;
  text: string;
  html: string | undefined;
  attachments: InboundAttachment[];
  /** Lower-cased header name -> every value in order of appearance, as raw unfolded strings. */
  headers: Map<string, string[]>;
  /** Top-level Content-Type, lower-cased, e.g. "multipart/report; report-type=delivery-status". */
  contentType: string;
  /** What a reader of the ticket must know about the body, e.g. that it is encrypted; stored as notes (parse always sets it). */
  notes?: string[];
  /**
   * What the sender wrote this time (quoted history and signature cut), computed once before the write
   * transaction by intake's reading step, so no text scan runs while the database is locked. Absent on
   * messages built by hand; readers then compute it.
   */
  newText?: string;
};
