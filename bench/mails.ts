import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every message file of the shared corpus (read by path, never copied): all but README, LICENSE, expectations. */
export function corpusFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return corpusFiles(full);
      return /^(README|LICENSE|COPYING)|\.(json|md)$/i.test(name) ? [] : [full];
    });
}

export function readCorpus(dir: string): Array<{ file: string; raw: Buffer }> {
  return corpusFiles(dir).map((file) => ({ file, raw: readFileSync(file) }));
}

/** A small deterministic PRNG (mulberry32), so every run draws the same generated mails. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the cluster node failed again after the upgrade and our nightly export job stopped with a timeout while ' +
  'writing to the storage volume we restarted the service twice but the dashboard still shows errors for ' +
  'region west please check the logs attached and tell us whether this is related to the maintenance window ' +
  'our customers cannot log in since this morning and the api returns status 503 for every request'
).split(' ');

function words(next: () => number, bytes: number): string {
  const out: string[] = [];
  let length = 0;
  let line = 0;
  while (length < bytes) {
    const word = WORDS[Math.floor(next() * WORDS.length)] as string;
    out.push(word);
    length += word.length + 1;
    line += word.length + 1;
    if (line > 66) {
      out.push('\r\n');
      line = 0;
    }
  }
  return out.join(' ').replace(/ \r\n /g, '\r\n');
}

function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
}

export type CustomerMailOptions = { from: string; subject: string; messageId: string; body: string; inReplyTo?: string; references?: string[]; date?: Date };

/** A plain text customer mail as a mail client writes it. */
export function plainMail({ from, subject, messageId, body, inReplyTo, references, date = new Date('2026-11-25T09:00:00Z') }: CustomerMailOptions): Buffer {
  return Buffer.from(
    [
      `From: Customer <${from}>`,
      'To: Cloudsoft Support <help@cloudsoft.test>',
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      ...(inReplyTo ? [`In-Reply-To: <${inReplyTo}>`] : []),
      ...(references?.length ? [`References: ${references.map((id) => `<${id}>`).join(' ')}`] : []),
      `Date: ${date.toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/**
 * Generated customer mail of mixed shape and size: plain text (0.3-4 KB), text + HTML alternatives
 * (4-40 KB), mail with a base64 attachment (10-400 KB), and replies quoting an earlier generated mail.
 */
export function generatedCustomerMails({ count, seed, tag }: { count: number; seed: number; tag: string }): Array<{ messageId: string; raw: Buffer }> {
  const next = prng(seed);
  const mails: Array<{ messageId: string; raw: Buffer }> = [];
  for (let n = 0; n < count; n += 1) {
    const messageId = `${tag}-${n}@mail.${n % 3 === 0 ? 'globex' : 'acme'}.test`;
    const from = `user${n % 97}@${n % 3 === 0 ? 'globex' : 'acme'}.test`;
    const severity = `SEV${1 + Math.floor(next() * 4)}`;
    const subject = `${severity} ${words(next, 40).replace(/\r\n/g, ' ')} #${n}`;
    const kind = next();
    const previous = mails.length > 0 ? mails[Math.floor(next() * mails.length)] : undefined;
    if (kind < 0.05 && previous) {
      mails.push({ messageId, raw: plainMail({ from, subject: `Re: ${subject}`, messageId, body: `${words(next, 300 + next() * 1500)}\r\n\r\n> earlier message quoted`, inReplyTo: previous.messageId, references: [previous.messageId] }) });
    } else if (kind < 0.6) {
      mails.push({ messageId, raw: plainMail({ from, subject, messageId, body: words(next, 300 + next() * 3700) }) });
    } else if (kind < 0.85) {
      const text = words(next, 1000 + next() * 8000);
      const html = `<html><body><div style="font-family: Arial">${text
        .split('\r\n')
        .map((line) => `<p>${line}</p>`)
        .join('\r\n')}${'<table><tr><td>metric</td><td>value</td></tr></table>\r\n'.repeat(Math.floor(next() * 200))}</div></body></html>`;
      const raw = [
        `From: Customer <${from}>`,
        'To: help@cloudsoft.test',
        `Subject: ${subject}`,
        `Message-ID: <${messageId}>`,
        'Date: Wed, 25 Nov 2026 09:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="alt-b"',
        '',
        '--alt-b',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        text.replace(/=/g, '=3D'),
        '--alt-b',
        'Content-Type: text/html; charset=utf-8',
        '',
        html,
        '--alt-b--',
        '',
      ].join('\r\n');
      mails.push({ messageId, raw: Buffer.from(raw) });
    } else {
      const size = Math.floor(10_000 + next() * next() * 390_000);
      const raw = Buffer.concat([
        Buffer.from(
          [
            `From: Customer <${from}>`,
            'To: help@cloudsoft.test',
            `Subject: ${subject}`,
            `Message-ID: <${messageId}>`,
            'Date: Wed, 25 Nov 2026 09:00:00 +0000',
            'MIME-Version: 1.0',
            'Content-Type: multipart/mixed; boundary="mix-b"',
            '',
            '--mix-b',
            'Content-Type: text/plain; charset=utf-8',
            '',
            words(next, 300 + next() * 2000),
            '--mix-b',
            `Content-Type: application/pdf; name="report-${n}.pdf"`,
            `Content-Disposition: attachment; filename="report-${n}.pdf"`,
            'Content-Transfer-Encoding: base64',
            '',
            '',
          ].join('\r\n'),
        ),
        Buffer.from(base64Lines(randomBytes(size))),
        Buffer.from('\r\n--mix-b--\r\n'),
      ]);
      mails.push({ messageId, raw });
    }
  }
  return mails;
}

/** One customer mail with a single attachment of `bytes` random bytes (base64, 76-column lines). */
export function mailWithAttachment({ bytes, messageId }: { bytes: number; messageId: string }): Buffer {
  const head = [
    'From: Alice Martin <alice@acme.test>',
    'To: help@cloudsoft.test',
    'Subject: SEV3 heap dump attached',
    `Message-ID: <${messageId}>`,
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
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
  return Buffer.concat([Buffer.from(head), Buffer.from(base64Lines(randomBytes(bytes))), Buffer.from('\r\n--b1--\r\n')]);
}
