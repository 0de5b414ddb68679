import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The web slices of the config schema: the listeners (`http`: the portal, the admin endpoints, their limits)
 * and the portal's accounts (`accounts`: sessions, links, sign-in throttling).
 */
const port = z.number().int().min(0).max(65535);

// A proxy entry: an address, a CIDR range, or one of proxy-addr's names for a whole class of addresses.
const proxyEntry = z
  .string()
  .trim()
  .refine((value) => ['loopback', 'linklocal', 'uniquelocal'].includes(value) || isAddressOrRange(value), 'must be an IP address, a CIDR range (10.0.0.0/8), or loopback, linklocal or uniquelocal');

export const http = z
  .object({
    port: port.default(0).describe('Port of the public listener: the support portal (/login, /register, /tickets, ...) and /healthz; 0 disables it.'),
    host: z.string().default('127.0.0.1').describe('Address the public listener binds to.'),
    publicUrl: z
      .union([z.string().url(), z.literal('')])
      .default('')
      .describe('Base URL of the portal as people reach it: links in mails (sign-up, tickets), ticket links in pages and webhook events; empty: http://host:port for mails, no links in pages.'),
    trustProxy: z
      .array(proxyEntry)
      .default([])
      .describe('Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client: the address that sign-up and login limits count; empty: the socket address, X-Forwarded-For ignored.'),
    adminPort: port.default(0).describe('Port of the admin listener serving /healthz, /readyz and /metrics on adminHost; 0: none (then /readyz and /metrics answer only with adminToken).'),
    adminHost: z.string().default('127.0.0.1').describe('Address the admin listener binds to; keep it on loopback or a private network.'),
    adminToken: z
      .string()
      .default('')
      .describe('When set, /readyz and /metrics also answer on the public listener to `Authorization: Bearer <token>`; empty: they are not served there.'),
    requestTimeoutSeconds: z.number().int().min(1).default(30).describe('The public listener drops a request not received in full within this time (a slow POST cannot hold a connection).'),
    headersTimeoutSeconds: z.number().int().min(1).default(10).describe('The public listener drops a connection whose request headers take longer than this.'),
    maxConnections: z.number().int().min(1).default(256).describe('Most simultaneous connections to the public listener; more are refused.'),
    maxFormBytes: z.number().int().min(1024).default(64 * 1024).describe('Largest form body (sign-up, login, a reply without files) the public listener reads.'),
    maxUploadBytes: z.number().int().min(1024).default(10 * 1024 * 1024).describe('Largest total size of the files attached to one web ticket or reply.'),
    maxUploadFiles: z.number().int().min(0).default(5).describe('Most files attached to one web ticket or reply.'),
    requestsPerMinute: z.number().int().min(1).default(300).describe('Most requests one client address makes to the public listener per minute (pages, forms, downloads).'),
    formPostsPerMinute: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe('Most POSTs of each account form (sign-up, verify, sign-in, reset: each costs a password hash or sends mail) one client address makes per minute.'),
    readyOutboxMaxAgeSeconds: z
      .number()
      .int()
      .positive()
      .default(900)
      .describe('/readyz fails while the oldest pending delivery (confirmation, page) is older than this.'),
    readyImapGraceSeconds: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe('/readyz stays ready this long while a lost IMAP connection is being re-established.'),
  })
  .strict();

export const accounts = z
  .object({
    sessionIdleMinutes: z.number().int().min(1).default(30).describe('A portal session ends after this long without a request.'),
    sessionMaxHours: z.number().int().min(1).default(12).describe('A portal session ends this long after sign-in, however active.'),
    resetLinkMinutes: z.number().int().min(1).default(30).describe('A password reset link expires after this many minutes.'),
    welcomeLinkHours: z.number().int().min(1).default(72).describe('A "set your password" link of `users add|import --welcome` expires after this many hours.'),
    loginThrottleMinutes: z.number().int().min(1).default(15).describe('Window of the login limits below.'),
    loginFailuresPerAccount: z.number().int().min(1).default(10).describe('Failed sign-ins for one address within the window; then that address is refused until the window passes (known or not).'),
    loginFailuresPerIp: z.number().int().min(1).default(50).describe('Failed sign-ins from one client address within the window; then it is refused until the window passes.'),
  })
  .strict();

function isAddressOrRange(value: string): boolean {
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

