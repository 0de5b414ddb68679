import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFormClient } from '../../../test/support/form-client.js';
import { startPortal } from '../../../test/support/portal-server.js';

type Portal = Awaited<ReturnType<typeof startPortal>>;
const PASSWORD = 'correct horse battery staple';
const OUTSIDE_TAG = '<span class="tag">from outside the requester\'s organisation</span>';

function mail(lines: string[], body: string): Buffer {
  return Buffer.from([...lines, 'To: help@cloudsoft.test', 'Date: Wed, 25 Nov 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
}

describe('the ticket page over the real services', () => {
  let portal: Portal;
  let uid = 0;
  const ingest = (raw: Buffer) => portal.services.intake.ingestRaw({ raw, source: 'INBOX', uidValidity: '1', uid: (uid += 1) });

  /** Signs in through the form, starting from `path` signed out; returns the client and where the sign-in led. */
  async function signInFrom(path: string, email: string) {
    const client = createFormClient(portal.base);
    const first = await client.get(path);
    const login = first.response.headers.get('location') ?? path;
    const { html, csrf } = await client.get(login);
    const next = /name="next" value="([^"]*)"/.exec(html)?.[1] ?? '';
    const { response } = await client.post('/login', { _csrf: csrf, email, password: PASSWORD, next });
    expect(response.status).toBe(303);
    return { client, first, login, landed: response.headers.get('location') };
  }
  /** The <li> of the message whose text contains `text`. */
  const messageItem = (html: string, text: string) => html.split('<li class="message').find((item) => item.includes(text)) ?? '';

  beforeAll(async () => {
    // senderAuth off: these mails are written here, without our receiving server's Authentication-Results.
    portal = await startPortal({ support: { requireRegistration: false }, security: { senderAuth: 'off' } });
    await portal.createUser({ email: 'erin@cloudsoft.test', name: 'Erin Engineer', role: 'engineer', password: PASSWORD });
    await portal.createUser({ email: 'alice@acme.test', name: 'Alice', password: PASSWORD });
    expect(await ingest(mail(['From: Alice <alice@acme.test>', 'Subject: Staging cannot pull images', 'Message-ID: <alice-1@acme.test>'], 'Pulls fail since 08:00.'))).toMatchObject({ outcome: 'ticket', ticketRef: 'CS-1' });
    // Hank is of globex.test, not the requester's organisation, and nobody put him on the ticket (issue 15).
    expect(
      await ingest(mail(['From: Hank <hank@globex.test>', 'Subject: Re: Staging cannot pull images', 'Message-ID: <hank-1@globex.test>', 'In-Reply-To: <alice-1@acme.test>'], 'We see it too <b>here</b> & "there".')),
    ).toMatchObject({ outcome: 'reply', reason: 'outside-organisation: in-reply-to', ticketRef: 'CS-1' });
  });
  afterAll(async () => portal?.close());

  it("marks an outsider's internal mail on the engineer's page as from outside the requester's organisation, escaped, and no other message", async () => {
    const { client } = await signInFrom('/tickets/CS-1', 'erin@cloudsoft.test');
    const { response, html } = await client.get('/tickets/CS-1');
    expect(response.status).toBe(200);
    const hank = messageItem(html, 'We see it too');
    expect(hank).toContain('<span class="tag">internal</span>');
    expect(hank).toContain(OUTSIDE_TAG);
    expect(hank).toContain('We see it too &lt;b&gt;here&lt;/b&gt; &amp; &quot;there&quot;.');
    expect(hank).not.toContain('<b>here</b>');
    expect(messageItem(html, 'Pulls fail since 08:00.')).not.toContain('from outside');
    expect(html.split(OUTSIDE_TAG)).toHaveLength(2);
  });

  it("shows the customer neither the outsider's mail nor the mark", async () => {
    const { client } = await signInFrom('/tickets/CS-1', 'alice@acme.test');
    const { response, html } = await client.get('/tickets/CS-1');
    expect(response.status).toBe(200);
    expect(html).toContain('Pulls fail since 08:00.');
    expect(html).not.toContain('We see it too');
    expect(html).not.toContain('from outside');
  });

  it('sends someone signed out who opens /tickets/CS-1 to the sign-in page, and back to CS-1 after signing in', async () => {
    const { client, first, login, landed } = await signInFrom('/tickets/CS-1', 'alice@acme.test');
    expect(first.response.status).toBe(303);
    expect(login).toBe('/login?next=%2Ftickets%2FCS-1');
    expect(landed).toBe('/tickets/CS-1');
    const { html } = await client.get(landed as string);
    expect(html).toContain('Staging cannot pull images');
  });
});
