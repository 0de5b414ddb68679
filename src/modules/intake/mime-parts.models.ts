import type { InboundAttachment } from '../desk/inbound.types.js';
import { decodeFilename, nameFromType, safeFilename, uniqueFilenames } from './filename.models.js';
import type { MimeOutline } from './mime-outline.js';

/** A part as parse.ts collected it, before it is named. */
export type CollectedPart = InboundAttachment & {
  /** mailparser's partId ('' for a message whose root is the part). */
  partId: string;
  /** The name's header held bytes that are not UTF-8 (see filename.models.ts). */
  raw8bitName: boolean;
  /** The charset parameter of the part's own Content-Type, if any. */
  charset: string | undefined;
  /** For a message/rfc822 part: the forwarded mail's subject, when it could be read. */
  embeddedSubject?: string;
  /** The first 64 KiB of a forwarded mail too big to keep whole (its headers name it). */
  head?: Buffer;
};

const ENCRYPTED_PARTS = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime', 'application/pgp-encrypted']);

/**
 * Every part that is not the body gets a filename: the sender's own (decoded, made safe), else the
 * forwarded mail's subject for a message/rfc822 part (`Quarterly figures.eml`), else one made from its type
 * (`image.gif`, `image-2.png`, `encrypted.asc`, `smime.p7s`); names are unique within the mail. Encrypted
 * mail (PGP/MIME, S/MIME, inline PGP) also gets a note for the ticket saying that its body is encrypted.
 */
export function nameParts({ parts, outline, text }: { parts: CollectedPart[]; outline: MimeOutline; text: string }): { attachments: InboundAttachment[]; notes: string[] } {
  const named = parts.map((part) => {
    const context = outline.parts.get(part.partId);
    const insideEncrypted = context?.ancestors.some((ancestor) => ancestor.type === 'multipart/encrypted') ?? false;
    const charsets = [part.charset ?? '', context?.charset ?? '', ...outline.bodyCharsets];
    const given = safeFilename(decodeFilename({ name: part.filename, raw8bit: part.raw8bitName, charsets }));
    if (given !== '') return { name: given, fromType: false, insideEncrypted };
    const subject = safeFilename(part.embeddedSubject ?? '');
    if (subject !== '' && isMessagePart(part.contentType)) return { name: `${subject}.eml`, fromType: false, insideEncrypted };
    return { name: nameFromType({ contentType: part.contentType, insideEncrypted }), fromType: true, insideEncrypted };
  });
  const names = uniqueFilenames(named);
  const attachments = parts.map((part, index): InboundAttachment => {
    const { partId: _partId, raw8bitName: _raw8bitName, charset: _charset, embeddedSubject: _embeddedSubject, head: _head, ...attachment } = part;
    return { ...attachment, filename: names[index] ?? attachment.filename };
  });
  return { attachments, notes: encryptionNotes({ attachments, encrypted: named.map((entry) => entry.insideEncrypted), text }) };
}

function isMessagePart(contentType: string): boolean {
  return contentType === 'message/rfc822' || contentType === 'message/global';
}

/** One note for an encrypted mail, naming the parts that hold the encrypted body. */
function encryptionNotes({ attachments, encrypted, text }: { attachments: InboundAttachment[]; encrypted: boolean[]; text: string }): string[] {
  const pgpMime = attachments.filter((_part, index) => encrypted[index]);
  const smime = attachments.filter((part) => ENCRYPTED_PARTS.has(part.contentType) && part.contentType !== 'application/pgp-encrypted');
  const kept = (parts: InboundAttachment[]) => parts.map((part) => part.filename).join(', ');
  if (pgpMime.length > 0) {
    return [`The body of this mail is encrypted (PGP/MIME): ticketd cannot read it. The encrypted parts are kept as they came: ${kept(pgpMime)}.`];
  }
  if (smime.length > 0) {
    return [`The body of this mail is encrypted or opaque-signed (S/MIME): ticketd cannot read it. It is kept as it came: ${kept(smime)}.`];
  }
  // Inline PGP (RFC 4880 armour in a text part): the text is stored, but nobody can read it without the key.
  if (/^-----BEGIN PGP MESSAGE-----$/m.test(text.slice(0, 100_000))) return ['The body of this mail is encrypted (inline PGP): the armoured text is kept as it came.'];
  return [];
}
