import type { InboundMessage } from '../desk/inbound.types.js';

export type MailKind = 'ordinary' | 'bounce' | 'auto-reply' | 'feedback' | 'delivery-notice';
export type Classification = { kind: MailKind; reason: string; permanent?: boolean };

/**
 * What kind of mail this is, judged from the top-level headers and report parts (a bounce a person forwards
 * is an ordinary mail from that person). Standard reports first (RFC 3464
 * DSN, RFC 5965 ARF, RFC 8098 MDN), then the non-standard bounces of MTAs that never learnt RFC 3464, then
 * auto-replies. A bounce wins over an auto-reply: Exim and Google mark their bounces Auto-Submitted too.
 */
export function classifyMessage(message: InboundMessage): Classification {
  return (
    reportVerdict(message) ??
    notificationVerdict(message) ??
    bounceVerdict(message) ??
    autoReplyVerdict(message) ??
    listManagerVerdict(message) ?? { kind: 'ordinary', reason: 'no sign of automatic mail' }
  );
}

/**
 * Why we must not send an automatic reply (confirmation, rejection, registration link) to this message, or
 * undefined when we may. RFC 3834 section 2 plus the de-facto headers of Exchange and list managers; every
 * rule exists because helpdesks have fought mail loops with robots (osTicket#1041, #1467).
 */
export function mustNotAutoReply(
  message: InboundMessage,
  { ownAddresses, loopToken }: { ownAddresses: string[]; loopToken: string | string[] },
): string | undefined {
  const own = new Set(ownAddresses.map((address) => address.trim().toLowerCase()));
  const from = message.from?.address;
  if (!from) return 'no From address';
  if (own.has(from)) return `sent from our own address ${from}`;
  const ownReplyTo = message.replyTo.find((replyTo) => own.has(replyTo.address));
  if (ownReplyTo) return `Reply-To is our own address ${ownReplyTo.address}`;
  // Our X-Loop is the address of the mailbox the mail went out from: any of them marks a loop.
  const tokens = (typeof loopToken === 'string' ? [loopToken] : loopToken).map((token) => token.trim().toLowerCase()).filter((token) => token !== '');
  if (values(message, 'x-loop').some((value) => tokens.some((token) => value.toLowerCase().includes(token)))) return 'our own X-Loop';
  const autoSubmitted = autoSubmittedValue(message);
  if (autoSubmitted) return `Auto-Submitted: ${autoSubmitted}`;
  if (message.returnPath === '') return 'null Return-Path <>';
  for (const address of [from, message.returnPath ?? '']) {
    if (isRobotSender(address)) return `robot sender ${address}`;
  }
  const listHeader = [...message.headers.keys()].find((name) => name.startsWith('list-'));
  if (listHeader) return `mailing list header ${listHeader}`;
  const precedence = firstToken(values(message, 'precedence')[0]);
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  const suppress = suppressedResponses(message).find((token) => ['all', 'autoreply', 'oof'].includes(token));
  if (suppress) return `X-Auto-Response-Suppress: ${suppress}`;
  const autoreplyHeader = AUTOREPLY_HEADERS.find((name) => message.headers.has(name));
  if (autoreplyHeader) return `${autoreplyHeader} header`;
  if (mediaType(message.contentType) === 'multipart/report') return 'multipart/report';
  const classification = classifyMessage(message);
  if (classification.kind !== 'ordinary') return `${classification.kind}: ${classification.reason}`;
  return undefined;
}

// ---------------------------------------------------------------- standard reports (multipart/report)

const STATUS_PARTS = new Set(['message/delivery-status', 'message/global-delivery-status']);
const FEEDBACK_PARTS = new Set(['message/feedback-report']);
const RECEIPT_PARTS = new Set(['message/disposition-notification', 'message/global-disposition-notification']);

function reportVerdict(message: InboundMessage): Classification | undefined {
  const isReport = mediaType(message.contentType) === 'multipart/report';
  const declared = isReport ? (reportType(message.contentType) ?? '') : '';
  // Some MTAs wrap their report parts in multipart/mixed. Outside multipart/report the parts count only on
  // mail that no person sent: mailparser also unpacks an inline-forwarded report into our attachments.
  const partsCount = isReport || message.returnPath === '' || message.from === undefined || isDaemon(message.from.address);
  const partsOf = (types: Set<string>) => (partsCount ? message.attachments.filter((part) => types.has(part.contentType)) : []);
  const statusParts = partsOf(STATUS_PARTS);
  if (declared === 'feedback-report' || partsOf(FEEDBACK_PARTS).length > 0) {
    return { kind: 'feedback', reason: 'abuse/feedback report (RFC 5965)' };
  }
  if (declared === 'disposition-notification' || partsOf(RECEIPT_PARTS).length > 0) {
    return { kind: 'auto-reply', reason: 'read-receipt' };
  }
  if (declared.endsWith('delivery-status') || statusParts.length > 0) {
    return dsnVerdict(statusParts.map((part) => part.content?.toString('utf8') ?? '').join('\n\n'), message.text);
  }
  // multipart/report is machine-made by definition; without a known report-type it is most likely a bounce.
  if (isReport) return { kind: 'bounce', reason: `multipart/report of unknown type ${declared || '(none)'}`, permanent: statusIn(message.text) };
  return undefined;
}

type DsnRecipient = { action: string; status: string | undefined };

/** RFC 3464: per recipient `Action: failed` + `Status: 5.x.x` is permanent, 4.x.x transient. */
function dsnVerdict(statusText: string, bodyText: string): Classification {
  const recipients = dsnRecipients(statusText);
  // "undeliverable"/"deliverable" are what Postfix's address verification (sendmail -bv) reports.
  const failed = recipients.filter((recipient) => recipient.action.startsWith('fail') || recipient.action === 'undeliverable');
  if (failed.length > 0) {
    const statuses = failed.map((recipient) => recipient.status).filter((status) => status !== undefined);
    // Old MTAs leave out Status; the SMTP reply in Diagnostic-Code ("smtp; 550 ...") says the same thing.
    const permanent = statuses.length > 0 ? statuses.some((status) => status.startsWith('5')) : diagnosticClass(statusText);
    return { kind: 'bounce', reason: `delivery-status: failed ${statuses.join(', ') || 'without Status'}`, permanent };
  }
  if (recipients.some((recipient) => recipient.action.startsWith('delay'))) {
    return { kind: 'bounce', reason: 'delivery-status: delayed', permanent: false };
  }
  const known = recipients.filter((recipient) => ['delivered', 'relayed', 'expanded', 'deliverable'].includes(recipient.action));
  if (known.length > 0 && known.length === recipients.length) {
    return { kind: 'delivery-notice', reason: `delivery-status: ${[...new Set(known.map((recipient) => recipient.action))].join(', ')}` };
  }
  // No readable Action (broken or absent status part): a delivery report that reports no success is a failure.
  const status = statusIn(statusText) ?? statusIn(bodyText);
  return { kind: 'bounce', reason: 'delivery-status report without a readable Action', permanent: status };
}

/** Per-recipient blocks are separated by blank lines; some MTAs omit them, so Actions and Statuses pair in order. */
function dsnRecipients(statusText: string): DsnRecipient[] {
  const recipients: DsnRecipient[] = [];
  for (const block of statusText.split(/\r?\n[ \t]*\r?\n/)) {
    const actions = [...block.matchAll(/^Action:[ \t]*([A-Za-z-]+)/gim)].map((match) => (match[1] ?? '').toLowerCase());
    const statuses = [...block.matchAll(/^Status:[ \t]*([245]\.\d{1,3}\.\d{1,3})/gim)].map((match) => match[1]);
    actions.forEach((action, index) => recipients.push({ action, status: statuses[index] ?? statuses[0] }));
  }
  return recipients;
}

function diagnosticClass(statusText: string): boolean | undefined {
  const code = /^Diagnostic-Code:[^;\r\n]*;[ \t]*([45])\d\d\b/im.exec(statusText)?.[1];
  return code === undefined ? undefined : code === '5';
}

// ---------------------------------------------------------------- notification services

/** Amazon SES forwards bounces, complaints and deliveries as SNS notification mails with a JSON body. */
function notificationVerdict(message: InboundMessage): Classification | undefined {
  // The SNS headers survive a rewritten From (a forwarding hop, or an attacker): either sign will do.
  if (message.from?.address !== 'no-reply@sns.amazonaws.com' && !message.headers.has('x-amz-sns-message-id')) return undefined;
  const type = /notificationType\\?"\s*:\s*\\?"(Bounce|Complaint|Delivery)\b/.exec(message.text)?.[1];
  if (type === 'Bounce') {
    const bounceType = /bounceType\\?"\s*:\s*\\?"(\w+)/.exec(message.text)?.[1];
    return { kind: 'bounce', reason: `Amazon SES bounce notification${bounceType ? ` (${bounceType})` : ''}`, permanent: bounceType ? bounceType === 'Permanent' : undefined };
  }
  if (type === 'Complaint') return { kind: 'feedback', reason: 'Amazon SES complaint notification' };
  if (type === 'Delivery') return { kind: 'delivery-notice', reason: 'Amazon SES delivery notification' };
  return undefined;
}

// ---------------------------------------------------------------- mailing-list managers

const LIST_ADMIN_LOCAL_PART = /(?:^owner-|-(?:admin|owner|request|bounces?|ctl)$)/;
const LIST_HEADERS = ['x-mlserver', 'mailing-list', 'x-ml-name', 'list-id', 'list-subscribe', 'list-unsubscribe'];

/**
 * A list manager's own notice ("you are not a member", "your post awaits moderation"): sent by the list's
 * administrative address with list headers. Ordinary mail relayed by a list comes from its author, not from
 * `list-admin@` or `owner-list@`, so it stays ordinary.
 */
function listManagerVerdict(message: InboundMessage): Classification | undefined {
  const local = (message.from?.address ?? '').split('@')[0] ?? '';
  if (!LIST_ADMIN_LOCAL_PART.test(local)) return undefined;
  const header = LIST_HEADERS.find((name) => message.headers.has(name));
  return header ? { kind: 'auto-reply', reason: `mailing-list manager notice (${header})` } : undefined;
}

// ---------------------------------------------------------------- non-standard bounces

const DAEMON_LOCAL_PARTS = /^(?:mailer-daemon|mail-daemon|postmaster|post_master|double-bounce|mail\.delivery\.system)$/;

// Subjects MTAs put on bounces and delay warnings (Exim, qmail, Postfix, Sendmail, Exchange, Gmail, Domino,
// Yahoo, ...). A person may write "undeliverable" too, so a subject alone needs another automatic sign.
const BOUNCE_SUBJECT =
  /\b(?:undeliver(?:able|ed)|returned mail|returning message to sender|delivery (?:status|failure|failed|has failed|notification)|(?:failed|failure|permanent) delivery|failure notice|mail failure|could not be delivered|could not send|not delivered|delayed mail|mail system error|error sending your mail)\b/i;
const DELAY_SUBJECT = /\b(?:delay(?:ed)?|warning|still being retried)\b/i;

function bounceVerdict(message: InboundMessage): Classification | undefined {
  const subject = message.subject;
  const transient = DELAY_SUBJECT.test(subject) ? false : undefined;
  const permanent = () => transient ?? statusIn(message.text);
  if (message.headers.has('x-failed-recipients')) {
    return { kind: 'bounce', reason: 'X-Failed-Recipients header', permanent: permanent() };
  }
  const daemon = [message.from?.address, message.returnPath].find((address) => address && isDaemon(address));
  const bounceSubject = BOUNCE_SUBJECT.test(subject);
  if (daemon && (localPart(daemon) !== 'postmaster' || bounceSubject || looksAutomatic(message))) {
    return { kind: 'bounce', reason: `sent by ${daemon}`, permanent: permanent() };
  }
  // KDDI and other carriers bounce from no-reply@ with the original attached and a subject in any language.
  if (returnsOriginal(message) && (message.returnPath === '' || isRobotSender(message.from?.address ?? ''))) {
    return { kind: 'bounce', reason: 'original message returned by an automatic sender', permanent: permanent() };
  }
  if (bounceSubject && looksAutomatic(message)) {
    return { kind: 'bounce', reason: `bounce subject "${subject.slice(0, 80)}"`, permanent: permanent() };
  }
  return undefined;
}

function isDaemon(address: string): boolean {
  return DAEMON_LOCAL_PARTS.test(localPart(address));
}

/** Signs that no person sent this, used to corroborate a bounce-like subject. */
function looksAutomatic(message: InboundMessage): boolean {
  return (
    message.returnPath === '' ||
    message.from === undefined ||
    autoSubmittedValue(message) !== undefined ||
    returnsOriginal(message)
  );
}

/** Bounces return the original message, or its headers, as a part. */
function returnsOriginal(message: InboundMessage): boolean {
  return message.attachments.some((part) => part.contentType === 'message/rfc822' || part.contentType.startsWith('text/rfc822-header'));
}

// ---------------------------------------------------------------- auto-replies

const AUTOREPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-autoresponder'];

// Anchored at the start and followed by a colon, the way vacation responders prefix the original subject.
const AUTOREPLY_SUBJECT =
  /^(?:automatic reply|auto[- ]?reply|auto[- ]?respon(?:se|s)|out of (?:the )?office(?: auto[- ]?reply)?|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|risposta automatica|automatisch antwoord|resposta automática|autosvar)\s*:/i;

function autoReplyVerdict(message: InboundMessage): Classification | undefined {
  // Apple marks its unsubscribe mails Auto-Submitted as well; they are feedback about our mail, not a reply.
  if (unsubscribeRequest(message)) return { kind: 'feedback', reason: 'automatic unsubscribe request (X-Apple-Unsubscribe)' };
  const autoSubmitted = autoSubmittedValue(message);
  if (autoSubmitted) return { kind: 'auto-reply', reason: `Auto-Submitted: ${autoSubmitted}` };
  const header = AUTOREPLY_HEADERS.find((name) => message.headers.has(name));
  if (header) return { kind: 'auto-reply', reason: `${header} header` };
  if (firstToken(values(message, 'precedence')[0]) === 'auto_reply') return { kind: 'auto-reply', reason: 'Precedence: auto_reply' };
  // Exchange out-of-office: X-Auto-Response-Suppress: All plus a null sender or an inbox-rule loop marker.
  if (
    suppressedResponses(message).includes('all') &&
    (message.returnPath === '' || message.headers.has('x-ms-exchange-inbox-rules-loop'))
  ) {
    return { kind: 'auto-reply', reason: 'Exchange out-of-office headers' };
  }
  if (AUTOREPLY_SUBJECT.test(message.subject.trim())) return { kind: 'auto-reply', reason: `auto-reply subject "${message.subject.slice(0, 80)}"` };
  // RFC 5321 4.5.5: only notifications use the null reverse-path; a person's mail never does.
  if (message.returnPath === '') return { kind: 'auto-reply', reason: 'null Return-Path <>' };
  return undefined;
}

/** Apple Mail's one-click unsubscribe answers a List-Unsubscribe mailto: feedback about our mail. */
function unsubscribeRequest(message: InboundMessage): boolean {
  return values(message, 'x-apple-unsubscribe').some((value) => value.toLowerCase() === 'true');
}

// ---------------------------------------------------------------- header helpers

function values(message: InboundMessage, name: string): string[] {
  return message.headers.get(name) ?? [];
}

/** The Auto-Submitted keyword when it is anything but `no` (RFC 3834 5.1), else undefined. */
function autoSubmittedValue(message: InboundMessage): string | undefined {
  const keyword = firstToken(values(message, 'auto-submitted')[0]);
  return keyword && keyword !== 'no' ? keyword : undefined;
}

function suppressedResponses(message: InboundMessage): string[] {
  return values(message, 'x-auto-response-suppress').flatMap((value) => value.toLowerCase().split(/[\s,]+/).filter(Boolean));
}

function isRobotSender(address: string): boolean {
  const local = localPart(address);
  return (
    isDaemon(address) ||
    /^(?:no-?reply|no_reply|do-?not-?reply|donotreply)(?:[+.-]|$)/.test(local) ||
    local.startsWith('owner-') ||
    local.endsWith('-request') ||
    local.endsWith('-bounces') ||
    local.includes('-bounces+')
  );
}

function firstToken(value: string | undefined): string {
  return (value ?? '').trim().split(/[\s;(]/, 1)[0]?.toLowerCase() ?? '';
}

function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return (at < 0 ? address : address.slice(0, at)).toLowerCase();
}

function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function reportType(contentType: string): string | undefined {
  return /;\s*report-type\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
}

/** An enhanced status code (RFC 3463) in free text: 5.x.x permanent, 4.x.x transient, none unknown. */
function statusIn(text: string): boolean | undefined {
  const status = /\b([45])\.[0-7]\.\d{1,3}\b/.exec(text)?.[1];
  return status === undefined ? undefined : status === '5';
}
