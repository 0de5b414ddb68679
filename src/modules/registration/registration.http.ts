import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../shared/errors.js';
import { createSilentLogger, type Logger } from '../../shared/logger.js';
import { messagePage, registerFormPage } from './registration.pages.js';
import type { Registration } from './registration.usecases.js';

const MAX_FORM_BYTES = 16 * 1024;

async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** GET/POST /register and GET /verify on the daemon's HTTP server. */
export function createRegistrationRoutes({ registration, onChange = () => {}, logger = createSilentLogger(), supportName = 'Support' }: { registration: Registration; onChange?: () => void; logger?: Logger; supportName?: string }) {
  const helpAddress = registration.helpAddress;

  return async function routes(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const html = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" });
      response.end(body);
      return true;
    };
    if (url.pathname === '/register' && request.method === 'GET') {
      return html(200, registerFormPage({ email: url.searchParams.get('email') ?? '', helpAddress, supportName }));
    }
    if (url.pathname === '/register' && request.method === 'POST') {
      const form = await readForm(request);
      if (!form) return html(413, messagePage({ title: 'Request too large', paragraphs: ['Please try again.'], tone: 'bad', helpAddress }));
      const name = form.get('name') ?? '';
      const email = form.get('email') ?? '';
      const result = registration.signUp({ name, email, ip: request.socket.remoteAddress ?? 'unknown' });
      switch (result.kind) {
        case 'invalid':
          return html(400, registerFormPage({ email, name, problems: result.problems, helpAddress, supportName }));
        case 'sent':
          onChange();
          return html(200, messagePage({ title: 'Check your mailbox', paragraphs: [`We have sent a confirmation link to ${result.email}.`, 'Open it to confirm your address. The link works once.'], tone: 'ok', helpAddress }));
        case 'already-verified':
          return html(200, messagePage({ title: 'Already registered', paragraphs: [`${result.email} is already confirmed: write to support and your mail becomes a ticket.`], tone: 'ok', helpAddress }));
        case 'domain-not-approved':
          return html(403, messagePage({ title: 'We cannot register this address', paragraphs: [`Self-registration is open to addresses of our customers, and ${result.domain} is not one of them.`, `If your organisation is a customer, write to ${helpAddress} and we will help you.`], tone: 'bad', helpAddress }));
        case 'disabled':
          return html(403, messagePage({ title: 'This address is disabled', paragraphs: [`Please write to ${helpAddress}.`], tone: 'bad', helpAddress }));
        case 'rate-limited':
          return html(429, messagePage({ title: 'Too many attempts', paragraphs: ['Please wait an hour before trying again, or check your mailbox for the link we already sent.'], tone: 'bad', helpAddress }));
      }
    }
    if (url.pathname === '/verify' && request.method === 'GET') {
      const token = url.searchParams.get('token') ?? '';
      let result;
      try {
        result = await registration.verify({ token });
      } catch (error) {
        logger.error({ err: describeError(error) }, 'verification failed');
        return html(500, messagePage({ title: 'Something went wrong', paragraphs: ['Please open the link again in a minute.'], tone: 'bad', helpAddress }));
      }
      if (result.kind === 'verified') {
        onChange();
        const next =
          result.ticketRefs.length > 0
            ? `Your earlier ${result.ticketRefs.length === 1 ? 'message is now ticket' : 'messages are now tickets'} ${result.ticketRefs.join(', ')}: you will receive a confirmation by mail.`
            : 'From now on, mail you send to support becomes a ticket and you receive a confirmation with its reference.';
        return html(200, messagePage({ title: 'Address confirmed', paragraphs: [`Thank you: ${result.email} is confirmed.`, next], tone: 'ok', helpAddress }));
      }
      const text = {
        expired: ['This link has expired', 'Links are valid for a limited time. Register again to get a new one.'],
        used: ['This link was already used', 'Your address is probably confirmed already. If mail to support is still not accepted, register again.'],
        unknown: ['This link is not valid', 'Check that you copied the whole link, or register again.'],
      }[result.kind];
      return html(result.kind === 'unknown' ? 404 : 410, messagePage({ title: text[0] as string, paragraphs: [text[1] as string], tone: 'bad', helpAddress, link: { href: '/register', text: 'Register again' } }));
    }
    return false;
  };
}
