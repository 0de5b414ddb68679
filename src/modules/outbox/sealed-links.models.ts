import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createError } from '../../shared/errors.js';
import type { OutboundMail } from '../mail-out/mail-out.types.js';

/**
 * A mail that carries a secret (a verification or password link) is queued with the secret replaced by a
 * placeholder, and the secret itself sealed (AES-256-GCM) under a key kept OUTSIDE the database. The worker
 * opens it just before sending and forgets it once the mail is sent. So the outbox table, `outbox list` and a
 * copy of the database never hold a usable link: the tokens themselves are stored only as sha256 hashes.
 */
export type SealedSecret = { placeholder: string; box: string };

export type LinkSealer = {
  seal(secret: string): string;
  unseal(box: string): string;
};

const VERSION = 'v1';

/** `[[sealed-0]]`: plain ASCII, unchanged by HTML escaping, never written by a template of ours. */
export function sealedPlaceholder(index: number): string {
  return `[[sealed-${index}]]`;
}

export function createLinkSealer({ key }: { key: () => Buffer }): LinkSealer {
  return {
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key(), iv);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    unseal(box) {
      const [version, data = ''] = box.split('.');
      const bytes = Buffer.from(data, 'base64url');
      if (version !== VERSION || bytes.length < 29) throw createError({ code: 'outbox.sealed_malformed', message: 'a sealed link in this mail is malformed', retryable: false });
      try {
        const decipher = createDecipheriv('aes-256-gcm', key(), bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(12, 28));
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      } catch (error) {
        // Another key (a restored database without its key file): the person has to ask for a new link.
        throw createError({ code: 'outbox.sealed_unreadable', message: 'a sealed link in this mail cannot be opened with this key (was the key file replaced?)', retryable: false, cause: error });
      }
    },
  };
}

/** Seals each secret and returns the placeholders to put where the secrets go, in order. */
export function sealSecrets(sealer: LinkSealer, secrets: string[]): { placeholders: string[]; sealed: SealedSecret[] } {
  const sealed = secrets.map((secret, index) => ({ placeholder: sealedPlaceholder(index), box: sealer.seal(secret) }));
  return { placeholders: sealed.map((entry) => entry.placeholder), sealed };
}

/** The mail as it is sent: every placeholder replaced by its opened secret. */
export function openSealedMail(mail: OutboundMail, sealed: SealedSecret[], sealer: LinkSealer): OutboundMail {
  let { text, html } = mail;
  for (const { placeholder, box } of sealed) {
    const secret = sealer.unseal(box);
    text = text.split(placeholder).join(secret);
    html = html?.split(placeholder).join(secret);
  }
  return { ...mail, text, ...(html === undefined ? {} : { html }) };
}

/** A mail whose secret was already forgotten (sent once, then requeued) must not go out with a placeholder. */
export function hasUnopenedPlaceholder(mail: OutboundMail): boolean {
  return /\[\[sealed-\d+\]\]/.test(mail.text);
}
