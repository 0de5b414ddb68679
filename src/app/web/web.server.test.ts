import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFormClient } from '../../../test/support/form-client.js';
import { startPortal } from '../../../test/support/portal-server.js';

type Portal = Awaited<ReturnType<typeof startPortal>>;
const PASSWORD = 'correct horse battery staple';

/** Resolves when the server closes the socket (or rejects after `ms`). */
function closedWithin(socket: Socket, ms: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
    socket.on('error', () => undefined);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('the public listener against hostile clients', () => {
  let portal: Portal;

  beforeAll(async () => {
    portal = await startPortal({ http: { requestTimeoutSeconds: 2, headersTimeoutSeconds: 1, maxConnections: 8, maxFormBytes: 4096, adminToken: 'admin-secret-token' }, accounts: { loginFailuresPerIp: 3 }, admin: true });
    await portal.createUser({ email: 'alice@acme.test', name: 'Alice', password: PASSWORD });
  });
  afterAll(async () => portal?.close());

  it('drops a POST whose body trickles in, once http.requestTimeoutSeconds has passed (slowloris)', async () => {
    const socket = await open(portal.port);
    socket.write('POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('a'), 200);
    try {
      const ms = await closedWithin(socket, 6_000);
      // 2 s limit, checked every second; the body was still arriving, and within the form limit.
      expect(ms).toBeGreaterThan(1_500);
      expect(ms).toBeLessThan(4_500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('drops a connection whose headers never end, once http.headersTimeoutSeconds has passed', async () => {
    const socket = await open(portal.port);
    socket.write('GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    try {
      expect(await closedWithin(socket, 6_000)).toBeLessThan(4_500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('refuses connections past http.maxConnections and serves again once they are gone', async () => {
    const held = await Promise.all(Array.from({ length: 8 }, () => open(portal.port)));
    const extra = await open(portal.port).catch(() => undefined);
    if (extra) await closedWithin(extra, 3_000);
    for (const socket of held) socket.destroy();
    await vi.waitFor(async () => expect((await fetch(`${portal.base}/healthz`)).status).toBe(200), { timeout: 5_000, interval: 100 });
  });

  it('answers 413 to a form body over http.maxFormBytes, without reading it all', async () => {
    const client = createFormClient(portal.base);
    const { csrf } = await client.get('/register');
    const { response } = await client.post('/register', { _csrf: csrf, name: 'x'.repeat(10_000), email: 'a@acme.test' });
    expect(response.status).toBe(413);
  });

  it('refuses every POST without the form token of this site (CSRF), and takes it with one', async () => {
    const client = createFormClient(portal.base);
    const withoutCookie = await client.post('/login', { email: 'alice@acme.test', password: PASSWORD });
    expect(withoutCookie.response.status).toBe(403);
    expect(withoutCookie.html).toContain('This form has expired');
    const { csrf } = await client.get('/login');
    const forged = await client.post('/login', { _csrf: 'forged-token', email: 'alice@acme.test', password: PASSWORD });
    expect(forged.response.status).toBe(403);
    const good = await client.post('/login', { _csrf: csrf, email: 'alice@acme.test', password: PASSWORD, next: '/tickets' });
    expect(good.response.status).toBe(303);
    expect(good.response.headers.get('location')).toBe('/tickets');
    expect(good.response.headers.getSetCookie().join('\n')).toMatch(/__Host-ticketd-session=[A-Za-z0-9_-]{22}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax/);
  });

  it('serves /readyz and /metrics only on the admin listener or to the bearer of http.adminToken; /healthz everywhere', async () => {
    const health = await fetch(`${portal.base}/healthz`);
    expect(health.status).toBe(200);
    // Liveness only: nothing about the desk on the public listener (docs/security.md).
    expect(await health.text()).toBe('{"ok":true}');
    expect((await fetch(`${portal.base}/metrics`)).status).toBe(404);
    expect((await fetch(`${portal.base}/readyz`)).status).toBe(404);
    expect((await fetch(`${portal.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-same-len' } })).status).toBe(404);
    expect((await fetch(`${portal.base}/metrics`, { headers: { authorization: 'Bearer admin-secret-token' } })).status).toBe(200);
    expect((await fetch(`${portal.adminBase}/metrics`)).status).toBe(200);
    expect((await fetch(`${portal.adminBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${portal.adminBase}/login`)).status).toBe(404);
    expect((await fetch(`${portal.adminBase}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('sends every page with a script-free CSP, no framing and no referrer; / leads to the sign-in page', async () => {
    const response = await fetch(`${portal.base}/`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login');
    const page = await fetch(`${portal.base}/login`);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none';style-src 'self';img-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).not.toContain('<script');
  });

  it('never redirects outside the portal after sign-in (no open redirect through ?next=)', async () => {
    for (const next of ['//evil.test/x', 'https://evil.test/', '/\\evil.test', 'javascript:alert(1)']) {
      const client = createFormClient(portal.base);
      const { csrf } = await client.get('/login');
      const { response } = await client.post('/login', { _csrf: csrf, email: 'alice@acme.test', password: PASSWORD, next });
      expect(response.headers.get('location')).toBe('/');
    }
  });

  // Last in this block: it leaves 127.0.0.1 throttled.
  it('ignores X-Forwarded-For without http.trustProxy: a client cannot pick the address its failures count on', async () => {
    for (let round = 0; round < 3; round += 1) {
      const client = createFormClient(portal.base, { headers: { 'x-forwarded-for': `192.0.2.${round}` } });
      const { csrf } = await client.get('/login');
      expect((await client.post('/login', { _csrf: csrf, email: `nobody${round}@acme.test`, password: 'wrong password' })).response.status).toBe(401);
    }
    const client = createFormClient(portal.base, { headers: { 'x-forwarded-for': '192.0.2.99' } });
    const { csrf } = await client.get('/login');
    expect((await client.post('/login', { _csrf: csrf, email: 'alice@acme.test', password: PASSWORD })).response.status).toBe(429);
  });
});

describe('sign-in throttling and the same answer for every address', () => {
  let portal: Portal;
  beforeAll(async () => {
    portal = await startPortal({ http: { trustProxy: ['127.0.0.1'] }, accounts: { loginFailuresPerIp: 15 } });
    await portal.createUser({ email: 'alice@acme.test', name: 'Alice', password: PASSWORD });
    await portal.createUser({ email: 'imported@acme.test', name: 'No Password Yet' });
  });
  afterAll(async () => portal?.close());

  async function attempt(client: ReturnType<typeof createFormClient>, email: string, password: string) {
    const { csrf } = await client.get('/login');
    const started = performance.now();
    const { response, html } = await client.post('/login', { _csrf: csrf, email, password });
    return { status: response.status, body: html.replace(/value="[^"]*@acme\.test"/, 'value="EMAIL"').replace(/name="_csrf" value="[^"]+"/g, ''), ms: performance.now() - started };
  }

  it('answers a wrong password, an unknown address and an address without a password alike, each after one argon2 check', async () => {
    const wrong = [];
    const unknown = [];
    const noPassword = [];
    for (let round = 0; round < 7; round += 1) {
      // A client per round: the per-client limits are not what this test is about.
      const client = createFormClient(portal.base, { headers: { 'x-forwarded-for': `198.51.100.${10 + round}` } });
      wrong.push(await attempt(client, 'alice@acme.test', `not the password ${round}`));
      unknown.push(await attempt(client, `nobody${round}@acme.test`, 'whatever it is'));
      noPassword.push(await attempt(client, 'imported@acme.test', `guess ${round}`));
    }
    expect(new Set([...wrong, ...unknown, ...noPassword].map((result) => `${result.status} ${result.body}`)).size).toBe(1);
    expect(wrong[0]?.status).toBe(401);
    const median = (list: Array<{ ms: number }>) => list.map((result) => result.ms).sort((a, b) => a - b)[3] as number;
    console.log(`sign-in answer times (median of 7): wrong password ${median(wrong).toFixed(0)} ms, unknown address ${median(unknown).toFixed(0)} ms, no password ${median(noPassword).toFixed(0)} ms`);
    // One argon2id verification each (~0.1 s here): an unknown address is not answered measurably faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
    expect(median(noPassword)).toBeGreaterThan(median(wrong) * 0.5);
  });

  it('throttles an address after ten wrong passwords, even for the right one, while other addresses still sign in', async () => {
    const client = createFormClient(portal.base, { headers: { 'x-forwarded-for': '198.51.100.2' } });
    await portal.createUser({ email: 'bob@acme.test', name: 'Bob', password: PASSWORD });
    for (let round = 0; round < 10; round += 1) expect((await attempt(client, 'bob@acme.test', `wrong ${round}`)).status).toBe(401);
    const locked = await attempt(client, 'bob@acme.test', PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many attempts');
    // Another client, the same address: still throttled (the count is per address).
    expect((await attempt(createFormClient(portal.base, { headers: { 'x-forwarded-for': '198.51.100.3' } }), 'bob@acme.test', PASSWORD)).status).toBe(429);
    expect((await attempt(client, 'alice@acme.test', PASSWORD)).status).toBe(303);
  });

  it('counts failures per client address from X-Forwarded-For of a trusted proxy (password spraying)', async () => {
    const client = createFormClient(portal.base, { headers: { 'x-forwarded-for': '203.0.113.50' } });
    // accounts.loginFailuresPerIp is 15 here: 15 failures over 15 addresses, then this client is refused.
    for (let round = 0; round < 15; round += 1) expect((await attempt(client, `spray${round}@acme.test`, 'Winter2026!')).status).toBe(401);
    const refused = await attempt(client, 'alice@acme.test', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many attempts');
    const other = createFormClient(portal.base, { headers: { 'x-forwarded-for': '203.0.113.51' } });
    expect((await attempt(other, 'alice@acme.test', PASSWORD)).status).toBe(303);
  });
});

describe('the account forms: a per-client limit of POSTs a minute (http.formPostsPerMinute)', () => {
  let portal: Portal;
  beforeAll(async () => {
    portal = await startPortal({ http: { formPostsPerMinute: 3 } });
    await portal.createUser({ email: 'carol@acme.test', name: 'Carol', password: PASSWORD });
  });
  afterAll(async () => portal?.close());

  it('answers 429 to the fourth sign-in POST of a minute, even with the right password, while pages are still served', async () => {
    const client = createFormClient(portal.base);
    for (let round = 0; round < 3; round += 1) {
      const { csrf } = await client.get('/login');
      expect((await client.post('/login', { _csrf: csrf, email: `nobody${round}@acme.test`, password: 'wrong password' })).response.status).toBe(401);
    }
    const { csrf } = await client.get('/login');
    const refused = await client.post('/login', { _csrf: csrf, email: 'carol@acme.test', password: PASSWORD });
    expect(refused.response.status).toBe(429);
    expect(refused.html).toContain('Too many requests');
    expect(refused.response.headers.get('set-cookie') ?? '').not.toContain('ticketd-session');
    expect((await client.get('/login')).response.status).toBe(200);
  });
});
