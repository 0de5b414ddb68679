import { describe, expect, it } from 'vitest';
import { parseRawMessage } from './parse.js';
import { htmlToPlainText } from './body-text.models.js';
import { readMimeOutline } from './mime-outline.js';

const crlf = (...lines: string[]) => Buffer.from(lines.join('\r\n'));
const GIF = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('every part that is not the body is kept with a name', () => {
  it('names a forwarded mail after its subject and keeps its text searchable', async () => {
    const message = await parseRawMessage(
      crlf(
        'From: Alice <alice@acme.test>',
        'Subject: Fwd: the report from our vendor',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'See the attached mail from our vendor.',
        '--b',
        'Content-Type: message/rfc822',
        'Content-Disposition: attachment',
        '',
        'From: Vendor <ops@vendor.example>',
        'Subject: =?utf-8?Q?Incident_r=C3=A9sum=C3=A9?= 4711',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The storage array lost two disks at 03:12.',
        '--b--',
        '',
      ),
    );
    expect(message.text).toBe('See the attached mail from our vendor.');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({ filename: 'Incident résumé 4711.eml', contentType: 'message/rfc822' });
    expect(message.attachments[0]?.text).toContain('lost two disks at 03:12');
  });

  it('names inline images of a multipart/related body from their type, numbered per stem', async () => {
    const message = await parseRawMessage(
      crlf(
        'From: Notes <n@acme.test>',
        'Subject: screenshots',
        'MIME-Version: 1.0',
        'Content-Type: multipart/related; boundary="r"',
        '',
        '--r',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Error <img src="cid:one"> and <img src="cid:two"> and <img src="cid:three"></p>',
        '--r',
        'Content-Type: image/gif',
        'Content-ID: <one>',
        'Content-Transfer-Encoding: base64',
        '',
        GIF,
        '--r',
        'Content-Type: image/png',
        'Content-ID: <two>',
        'Content-Transfer-Encoding: base64',
        '',
        PNG,
        '--r',
        'Content-Type: image/gif',
        'Content-ID: <three>',
        'Content-Transfer-Encoding: base64',
        '',
        GIF,
        '--r--',
        '',
      ),
    );
    expect(message.attachments.map((part) => part.filename)).toEqual(['image.gif', 'image-2.png', 'image-3.gif']);
    expect(message.text).toBe('Error and and');
  });

  it('keeps both parts of a PGP/MIME mail as they came and notes that the body is encrypted', async () => {
    const armour = '-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA+secret+bytes\r\n-----END PGP MESSAGE-----';
    const message = await parseRawMessage(
      crlf(
        'From: Alice <alice@acme.test>',
        'Subject: credentials',
        'MIME-Version: 1.0',
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"',
        '',
        '--e',
        'Content-Type: application/pgp-encrypted',
        'Content-Description: PGP/MIME version identification',
        '',
        'Version: 1',
        '--e',
        'Content-Type: application/octet-stream',
        'Content-Description: OpenPGP encrypted message',
        '',
        armour,
        '--e--',
        '',
      ),
    );
    expect(message.attachments.map((part) => [part.filename, part.contentType])).toEqual([
      ['pgp-mime-version.txt', 'application/pgp-encrypted'],
      ['encrypted.asc', 'application/octet-stream'],
    ]);
    expect(message.attachments[1]?.content?.toString()).toContain('hQEMA+secret+bytes');
    expect(message.notes).toEqual([expect.stringContaining('encrypted (PGP/MIME)')]);
    expect(message.notes?.[0]).toContain('encrypted.asc');
  });

  it('names an S/MIME signature smime.p7s and a detached PGP signature signature.asc, without an encryption note', async () => {
    const signed = (protocol: string, type: string) =>
      parseRawMessage(
        crlf('From: a@acme.test', 'Subject: signed', 'MIME-Version: 1.0', `Content-Type: multipart/signed; protocol="${protocol}"; boundary="s"`, '', '--s', 'Content-Type: text/plain', '', 'Signed words.', '--s', `Content-Type: ${type}`, 'Content-Transfer-Encoding: base64', '', 'MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==', '--s--', ''),
      );
    const smime = await signed('application/pkcs7-signature', 'application/pkcs7-signature');
    const pgp = await signed('application/pgp-signature', 'application/pgp-signature');
    expect(smime.attachments.map((part) => part.filename)).toEqual(['smime.p7s']);
    expect(pgp.attachments.map((part) => part.filename)).toEqual(['signature.asc']);
    expect([smime.text, pgp.text]).toEqual(['Signed words.', 'Signed words.']);
    expect([...(smime.notes ?? []), ...(pgp.notes ?? [])]).toEqual([]);
  });

  it('notes an S/MIME encrypted body kept as smime.p7m', async () => {
    const message = await parseRawMessage(
      crlf('From: a@acme.test', 'Subject: secret', 'MIME-Version: 1.0', 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data', 'Content-Transfer-Encoding: base64', '', 'MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=', ''),
    );
    expect(message.attachments.map((part) => part.filename)).toEqual(['smime.p7m']);
    expect(message.notes).toEqual([expect.stringContaining('S/MIME')]);
  });
});

describe('filenames in legacy charsets and hostile filenames', () => {
  const gb2312Name = Buffer.from([0xb2, 0xe2, 0xca, 0xd4]); // 测试 in GB2312
  const withRawName = (partCharset: string, mailCharset: string) =>
    Buffer.concat([
      crlf('From: a@acme.test', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', `Content-Type: text/plain; charset=${mailCharset}`, '', 'see file', '--b', `Content-Type: application/pdf${partCharset}`, 'Content-Disposition: attachment; filename="'),
      gb2312Name,
      crlf('.pdf"', '', 'PDF', '--b--', ''),
    ]);

  it('reads raw 8-bit GB2312 bytes in a filename in the charset of the part, or else of the mail', async () => {
    expect((await parseRawMessage(withRawName('; charset=gb2312', 'us-ascii'))).attachments[0]?.filename).toBe('测试.pdf');
    expect((await parseRawMessage(withRawName('', 'gb2312'))).attachments[0]?.filename).toBe('测试.pdf');
  });

  it('decodes RFC 2231 and RFC 2047 filenames in legacy charsets', async () => {
    const message = await parseRawMessage(
      crlf(
        'From: a@acme.test',
        'Subject: x',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'two files',
        '--b',
        'Content-Type: application/pdf',
        "Content-Disposition: attachment; filename*=gb2312''%B2%E2%CA%D4.pdf",
        '',
        'PDF',
        '--b',
        'Content-Type: application/pdf; name="=?iso-8859-1?Q?R=E9sum=E9?=.pdf"',
        'Content-Disposition: attachment',
        '',
        'PDF',
        '--b--',
        '',
      ),
    );
    expect(message.attachments.map((part) => part.filename)).toEqual(['测试.pdf', 'Résumé.pdf']);
  });

  it('strips control and right-to-left override characters and paths from a filename', async () => {
    const message = await parseRawMessage(
      crlf(
        'From: a@acme.test',
        'Subject: x',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'files',
        '--b',
        'Content-Type: application/octet-stream',
        "Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Finvoice%E2%80%AEfdp.exe%1B%5B31m",
        '',
        'MZ',
        '--b--',
        '',
      ),
    );
    expect(message.attachments[0]?.filename).toBe('_.._etc_invoicefdp.exe[31m');
  });
});

describe('the body text is never empty when a part has readable text', () => {
  it('converts HTML-only mail with links as "text [url]", lists and line breaks kept', async () => {
    const message = await parseRawMessage(
      crlf(
        'From: a@acme.test',
        'Subject: html only',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<html><body><p>Hello,<br>the <a href="https://status.acme.test/incident/7">status page</a> says:</p><ul><li>API down</li><li>Web slow</li></ul><p><a href="https://acme.test">https://acme.test</a></p></body></html>',
        '',
      ),
    );
    expect(message.text).toBe('Hello,\nthe status page [https://status.acme.test/incident/7] says:\n\n * API down\n * Web slow\n\nhttps://acme.test');
  });

  it('reads the body from a text part sent as an attachment, in its charset, when the mail has no other', async () => {
    const message = await parseRawMessage(
      Buffer.concat([
        crlf('From: a@acme.test', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Disposition: attachment', '', ''),
        Buffer.from('Gr\xfc\xdfe aus K\xf6ln', 'latin1'),
        crlf('', '--b--', ''),
      ]),
    );
    expect(message.text).toBe('Grüße aus Köln');
  });

  it('reads the body from a forwarded mail when that is all the mail holds', async () => {
    const message = await parseRawMessage(crlf('From: a@acme.test', 'Subject: fwd', 'MIME-Version: 1.0', 'Content-Type: message/rfc822', '', 'Subject: inner', 'From: b@b.example', '', 'Inner words.', ''));
    expect(message.text).toBe('Inner words.');
    expect(message.attachments.map((part) => part.filename)).toEqual(['inner.eml']);
  });
});

describe('budgets against hostile structure', () => {
  it('reads at most twenty forwarded mails of one message, names the others by type, and stays fast', async () => {
    const forwarded = Array.from({ length: 60 }, (_, index) => ['--b', 'Content-Type: message/rfc822', 'Content-Disposition: attachment', '', `Subject: forwarded ${index}`, '', `text ${index}`]).flat();
    const started = performance.now();
    const message = await parseRawMessage(crlf('From: a@acme.test', 'Subject: many', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'many', ...forwarded, '--b--', ''));
    expect(performance.now() - started).toBeLessThan(5000);
    const names = message.attachments.map((part) => part.filename);
    expect(names).toHaveLength(60);
    expect(names.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, index) => `forwarded ${index}.eml`));
    expect(names.slice(20, 23)).toEqual(['message.eml', 'message-2.eml', 'message-3.eml']);
  });

  it('reads forwarded mails only two levels deep', async () => {
    const level = (depth: number): string[] => (depth === 0 ? ['Subject: innermost', '', 'deepest text'] : [`Subject: level ${depth}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="l' + depth + '"', '', `--l${depth}`, 'Content-Type: text/plain', '', `text ${depth}`, `--l${depth}`, 'Content-Type: message/rfc822', 'Content-Disposition: attachment', '', ...level(depth - 1), `--l${depth}--`]);
    const message = await parseRawMessage(crlf('From: a@acme.test', ...level(4), ''));
    expect(message.attachments.map((part) => part.filename)).toEqual(['level 3.eml']);
    expect(message.attachments[0]?.text).toContain('text 3');
  });

  it('converts hostile HTML (2 MB of nested <div>, 2 MB of table rows) in well under the parse budget', () => {
    for (const html of ['<div>'.repeat(400_000), `<table>${'<tr><td>a</td><td>b</td></tr>'.repeat(70_000)}</table>`, `${'<div>'.repeat(60)}${'<b>x</b> '.repeat(32_000)}`]) {
      const started = performance.now();
      const text = htmlToPlainText(html);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(typeof text).toBe('string');
    }
    expect(htmlToPlainText(`${'<div>'.repeat(100)}deep &amp; <b>bold</b>`)).toBe('deep & bold');
  });

  it('gives an empty outline, not an error, when the parser exposes no tree', () => {
    expect(readMimeOutline({})).toEqual({ parts: new Map(), bodyCharsets: [], hasPlainBody: false });
    expect(readMimeOutline(undefined).parts.size).toBe(0);
  });
});
