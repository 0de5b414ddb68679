import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openTestDatabase } from '../../../test/support/test-database.js';
import type { MailSender, OutboundMail } from '../mail-out/mail-out.types.js';
import { createOutboxRepository } from './outbox.repository.js';
import { createOutboxWorker } from './outbox.worker.js';
import { createLinkSealer, sealSecrets } from './sealed-links.models.js';

const mail = (text: string): OutboundMail => ({ from: 'help@cloudsoft.test', to: ['dana@acme.test'], subject: 'Confirm', text, html: `<a href="${text}">x</a>`, messageId: 'verify.1@cloudsoft.test' });

describe('links sealed in the outbox', () => {
  it('opens only with the key that sealed them (authenticated encryption)', () => {
    const sealer = createLinkSealer({ key: () => randomBytes(32) });
    const box = createLinkSealer({ key: () => Buffer.alloc(32, 1) }).seal('secret-token');
    expect(createLinkSealer({ key: () => Buffer.alloc(32, 1) }).unseal(box)).toBe('secret-token');
    expect(() => sealer.unseal(box)).toThrow(/cannot be opened/);
    const tampered = `${box.slice(0, -2)}${box.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => createLinkSealer({ key: () => Buffer.alloc(32, 1) }).unseal(tampered)).toThrow();
  });

  it('sends the opened link once and then forgets the sealed token, so the stored row never holds a usable link', async () => {
    const db = await openTestDatabase();
    onTestFinished(() => db.close());
    const repository = createOutboxRepository({ db });
    const sealer = createLinkSealer({ key: () => Buffer.alloc(32, 7) });
    const { placeholders, sealed } = sealSecrets(sealer, ['tok_ABC123']);
    await repository.enqueue({ effectKey: 'verify-mail:1', ticketId: null, payload: { kind: 'email', mail: mail(`https://x.test/verify?token=${placeholders[0]}`), sealed }, at: new Date() });
    const sent: OutboundMail[] = [];
    const sender: MailSender = { send: async (outgoing) => (sent.push(outgoing), { response: '250 ok' }), verify: async () => undefined, close: () => undefined };
    const worker = createOutboxWorker({ repository, mailSender: sender, pager: undefined, maxAttempts: 3, maxAgeMs: 60_000, pollMs: 1000, linkSealer: sealer });
    await worker.runOnce();
    expect(sent[0]?.text).toBe('https://x.test/verify?token=tok_ABC123');
    expect(sent[0]?.html).toContain('token=tok_ABC123');
    const [row] = await repository.list();
    expect(row?.status).toBe('sent');
    expect(row?.payloadJson).not.toContain('tok_ABC123');
    expect(row?.payloadJson).not.toContain('"sealed"');
    // Requeued by an operator: the secret is gone, so it becomes a dead letter instead of a mail with a placeholder.
    expect(await repository.requeue({ id: row?.id ?? 0, at: new Date() })).toBe(true);
    await worker.runOnce();
    expect(sent).toHaveLength(1);
    expect((await repository.list())[0]).toMatchObject({ status: 'failed', lastError: expect.stringContaining('forgotten') });
  });
});
