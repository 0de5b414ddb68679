import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { openTwoInstances } from '../../../../test/support/test-database.js';
import { startSmtpPeer, type SmtpPeer } from '../../../devservers/smtp-peer.server.js';
import type { Db } from '../../../shared/db.js';
import { createBlobStore } from '../../store/blob-store.js';
import { attachmentFiles, createSharedBlobStore } from '../../store/shared-blob-store.js';
import type { OutboundMail } from '../mail-out.types.js';
import { createSmtpMailSender } from './smtp.mail-driver.js';

/** An instance's attachment store: a folder of its own, the shared database. */
function attachmentStore(db: Db) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticketd-smtp-blobs-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return createSharedBlobStore({ files: createBlobStore({ dir, compress: false }), db, store: 'attachments' });
}

const mail = (sha256: string): OutboundMail => ({
  from: 'Support <support@desk.test>',
  to: ['alice@customer.test'],
  subject: '[T-7] Your log file',
  text: 'Attached.\n',
  messageId: 'ticketd.T-7.2@desk.test',
  attachments: [{ filename: 'build.log', contentType: 'text/plain', sha256 }],
});

describe('the SMTP sender relays an attachment another instance stored (PostgreSQL, no shared storage.path)', () => {
  let peer: SmtpPeer;
  let one: Db;
  let two: Db;
  let close: () => Promise<void>;
  beforeEach(async () => {
    peer = await startSmtpPeer();
    ({ one, two, close } = await openTwoInstances('postgresql'));
  });
  afterEach(async () => {
    await close();
    await peer.close();
  });

  it('fetches the file when the mail is sent, and attaches the same bytes', async () => {
    const bytes = Buffer.from('line one\nline two\n'.repeat(20_000));
    // A stored it (an engineer's upload); the outbox row names only the digest; B's worker sends it.
    const { sha256 } = await attachmentStore(one).put(bytes);
    const onB = attachmentStore(two);
    const sender = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false, attachmentPath: attachmentFiles(onB) });
    onTestFinished(() => sender.close());
    expect(existsSync(onB.pathOf(sha256))).toBe(false);

    await sender.send(mail(sha256));
    const [received] = await peer.waitFor(1);
    const parsed = await simpleParser(received?.raw ?? Buffer.alloc(0));
    expect(parsed.attachments.map((file) => ({ filename: file.filename, bytes: file.content.equals(bytes) }))).toEqual([{ filename: 'build.log', bytes: true }]);
    expect(existsSync(onB.pathOf(sha256))).toBe(true);
  });

  it('fails the attempt, retryably, when no instance stored the attachment, and sends nothing', async () => {
    const sender = createSmtpMailSender({ host: peer.host, port: peer.port, secure: false, attachmentPath: attachmentFiles(attachmentStore(two)) });
    onTestFinished(() => sender.close());
    await expect(sender.send(mail('e'.repeat(64)))).rejects.toMatchObject({ code: 'mail_out.failed', retryable: true, cause: { code: 'store.missing' } });
    expect(peer.received).toEqual([]);
  });
});
