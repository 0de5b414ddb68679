import { randomBytes } from 'node:crypto';

/** A plain customer mail with a unique Message-ID, as a mail client would write it. */
export function customerMail({ from = 'alice@acme.test', subject, body = 'Something is wrong.', messageId }: { from?: string; subject: string; body?: string; messageId: string }): string {
  return [
    `From: Customer <${from}>`,
    'To: help@cloudsoft.test',
    `Subject: ${subject}`,
    `Message-ID: <${messageId}>`,
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

/** A customer mail carrying one attachment of `bytes` random bytes (base64, 76-column lines). */
export function mailWithAttachment({ bytes, messageId }: { bytes: number; messageId: string }): { raw: Buffer; attachment: Buffer } {
  const attachment = randomBytes(bytes);
  const base64 = attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    'From: Alice Martin <alice@acme.test>',
    'To: help@cloudsoft.test',
    'Subject: SEV3 heap dump attached',
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The heap dump of the failing node is attached.',
    '--b1',
    'Content-Type: application/octet-stream; name="heap.bin"',
    'Content-Disposition: attachment; filename="heap.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  return { raw: Buffer.concat([Buffer.from(head), Buffer.from(base64), Buffer.from('\r\n--b1--\r\n')]), attachment };
}
