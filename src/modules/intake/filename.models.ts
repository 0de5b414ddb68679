import iconv from 'iconv-lite';

/**
 * Attachment filenames: decoded from whatever the sender's client wrote, made safe to show and to save, and
 * made up from the part's type when the part has none. Pure functions.
 *
 * mailparser decodes RFC 2047 (`=?gb2312?B?...?=`) and RFC 2231 (`filename*=gb2312''%B2%E2`) names itself.
 * What it cannot decode is a name written as raw 8-bit bytes in a legacy charset (Chinese and Japanese
 * mailers do this): the header is read as UTF-8 when it is valid UTF-8, otherwise byte by byte, so GB2312
 * bytes come out as Latin-1 mojibake (`²âÊÔ.pdf` for `测试.pdf`).
 */

/**
 * The name as the sender meant it. `raw8bit`: the header held bytes that are not UTF-8 (mailparser's own
 * reading of it shows U+FFFD), so each character of `name` below U+0100 is one of those bytes; they are read
 * again in the first charset of `charsets` (the part's, then the mail's) that decodes them cleanly.
 */
export function decodeFilename({ name, raw8bit, charsets }: { name: string; raw8bit: boolean; charsets: string[] }): string {
  if (!raw8bit || /[^\u0000-\u00ff]/.test(name) || !/[\u0080-\u00ff]/.test(name)) return name;
  const bytes = Buffer.from(name, 'latin1');
  for (const charset of charsets) {
    const label = charset.trim().toLowerCase();
    if (label === '' || /^(us-)?ascii$|^utf-?8$/.test(label) || !iconv.encodingExists(label)) continue;
    const decoded = iconv.decode(bytes, label);
    if (!decoded.includes('\ufffd')) return decoded;
  }
  // No charset named, or none fits: UTF-8 is what it most likely is not (mailsplit tried), Latin-1 keeps every byte visible.
  return name;
}

// C0 and C1 controls, DEL, and the invisible formatting characters that reorder or hide text on screen: a
// right-to-left override makes `invoice_fdp.exe` read as `invoice_exe.pdf` (CVE-2009-3376 and since).
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;
const MAX_FILENAME_CHARS = 180;

/**
 * A filename safe to show in a terminal or a page and to save: no control or bidi characters, no path (a
 * `/` or `\` becomes `_`), no leading dots (`..`, hidden files), whitespace collapsed, at most 180 characters
 * with the extension kept. '' when nothing is left.
 */
export function safeFilename(name: string): string {
  let safe = name.replace(UNSAFE_CHARACTERS, '').replace(/[/\\]/g, '_').replace(/\s+/g, ' ').trim();
  safe = withoutEdgeDotsAndSpaces(safe);
  if ([...safe].length > MAX_FILENAME_CHARS) {
    const dot = safe.lastIndexOf('.');
    const extension = dot > 0 && safe.length - dot <= 12 ? safe.slice(dot) : '';
    safe = `${[...safe.slice(0, safe.length - extension.length)].slice(0, MAX_FILENAME_CHARS - extension.length).join('').trimEnd()}${extension}`;
  }
  return safe;
}

/** Names for parts that come without one, by type: what a person would call the thing. */
const NAMES_BY_TYPE: Record<string, string> = {
  'message/rfc822': 'message.eml',
  'message/global': 'message.eml',
  'message/partial': 'message-part.eml',
  'message/delivery-status': 'delivery-status.txt',
  'message/global-delivery-status': 'delivery-status.txt',
  'message/disposition-notification': 'disposition-notification.txt',
  'message/feedback-report': 'feedback-report.txt',
  'text/rfc822-headers': 'headers.txt',
  'text/rfc822-header': 'headers.txt',
  'message/rfc822-headers': 'headers.txt',
  'message/global-headers': 'headers.txt',
  'application/pgp-encrypted': 'pgp-mime-version.txt',
  'application/pgp-signature': 'signature.asc',
  'application/pgp-keys': 'public-key.asc',
  'application/pkcs7-signature': 'smime.p7s',
  'application/x-pkcs7-signature': 'smime.p7s',
  'application/pkcs7-mime': 'smime.p7m',
  'application/x-pkcs7-mime': 'smime.p7m',
  'text/plain': 'text.txt',
  'text/html': 'text.html',
  'text/calendar': 'invite.ics',
  'text/x-vcard': 'contact.vcf',
  'text/vcard': 'contact.vcf',
  'application/pdf': 'document.pdf',
  'application/zip': 'archive.zip',
  'application/gzip': 'archive.gz',
  'application/x-gzip': 'archive.gz',
  'application/json': 'data.json',
  'application/xml': 'data.xml',
  'text/xml': 'data.xml',
  'text/csv': 'data.csv',
  'application/postscript': 'document.ps',
  'application/ms-tnef': 'winmail.dat',
  'application/vnd.ms-tnef': 'winmail.dat',
};

const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', pjpeg: 'jpg', 'svg+xml': 'svg', 'x-icon': 'ico', 'vnd.microsoft.icon': 'ico', 'x-png': 'png', 'x-ms-bmp': 'bmp', mpeg: 'mp3', 'x-wav': 'wav', quicktime: 'mov', 'x-m4a': 'm4a' };

/**
 * The name of a part that has none, from its type: `image.gif`, `audio.mp3`, `signature.asc`, `smime.p7s`,
 * `message.eml`; `encrypted.asc` for the payload of PGP/MIME (`insideEncrypted`); `attachment.bin` when the
 * type says nothing.
 */
export function nameFromType({ contentType, insideEncrypted = false }: { contentType: string; insideEncrypted?: boolean }): string {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (insideEncrypted && type === 'application/octet-stream') return 'encrypted.asc';
  const known = NAMES_BY_TYPE[type];
  if (known) return known;
  const [top = '', sub = ''] = type.split('/');
  if (['image', 'audio', 'video'].includes(top)) {
    const extension = EXTENSIONS[sub] ?? (/^[a-z0-9]{1,8}$/.test(sub) ? sub : 'bin');
    return `${top}.${extension}`;
  }
  if (top === 'text') return 'text.txt';
  return 'attachment.bin';
}

/**
 * Names made unique within one mail, case-insensitively, by a counter before the extension. Names made up
 * from the type are counted per stem, as a person numbers them: `image.gif`, `image-2.png`, `image-3.gif`;
 * a sender's own name gets a counter only when it repeats (`scan.pdf`, `scan-2.pdf`). So every part of a
 * message can be opened by its name.
 */
export function uniqueFilenames(entries: Array<{ name: string; fromType: boolean }>): string[] {
  const used = new Set<string>();
  const stems = new Map<string, number>();
  return entries.map(({ name, fromType }) => {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const extension = dot > 0 ? name.slice(dot) : '';
    let counter = fromType ? (stems.get(stem.toLowerCase()) ?? 0) + 1 : 1;
    const candidateFor = (n: number) => (n === 1 ? name : `${stem}-${n}${extension}`);
    while (used.has(candidateFor(counter).toLowerCase())) counter += 1;
    if (fromType) stems.set(stem.toLowerCase(), counter);
    const candidate = candidateFor(counter);
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

/** Leading and trailing dots and whitespace cut by index (a `[.\s]+$` regex retries from every dot: quadratic). */
function withoutEdgeDotsAndSpaces(text: string): string {
  const cut = (char: string) => char === '.' || /\s/.test(char);
  let start = 0;
  let end = text.length;
  while (start < end && cut(text[start] as string)) start += 1;
  while (end > start && cut(text[end - 1] as string)) end -= 1;
  return text.slice(start, end);
}
