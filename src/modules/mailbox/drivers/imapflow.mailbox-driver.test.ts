import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendMessage, listMessages, startDovecot, type DovecotServer } from '../../../devservers/dovecot.server.js';
import type { Mailbox } from '../mailbox.types.js';
import { createImapflowMailbox, PROCESSED_KEYWORD, type ImapflowMailboxOptions } from './imapflow.mailbox-driver.js';

// One maildir per user, so every test starts from an empty INBOX on the same server.
const ACCOUNTS = ['list', 'after', 'move', 'flag', 'idle', 'busy', 'abort', 'outage', 'freeze', 'auth', 'missing', 'race'] as const;
type Account = (typeof ACCOUNTS)[number];
const PASSWORD = 'secret';

let server: DovecotServer;
const opened: Mailbox[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: ACCOUNTS.map((name) => ({ user: `${name}@example.test`, password: PASSWORD })) });
});

afterAll(async () => {
  await server?.destroy();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((mailbox) => mailbox.close()));
});

function target(account: Account) {
  return { host: server.host, port: server.port, user: `${account}@example.test`, password: PASSWORD };
}

function mailboxFor(account: Account, options: Partial<ImapflowMailboxOptions> = {}): Mailbox {
  const mailbox = createImapflowMailbox({ ...target(account), secure: false, mailbox: 'INBOX', commandTimeoutMs: 5_000, ...options });
  opened.push(mailbox);
  return mailbox;
}

function rawMail(subject: string): Buffer {
  return Buffer.from(
    [
      'From: "Zoë Client" <zoe@customer.test>',
      'To: help@example.test',
      `Subject: ${subject}`,
      'Message-ID: <' + subject.replace(/\W/g, '') + '@customer.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße, the printer is on fire ✓',
      '--b1',
      'Content-Type: application/octet-stream; name="log.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([0, 1, 2, 254, 255]).toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

async function append(account: Account, subject: string, mailbox = 'INBOX'): Promise<number> {
  const uid = await appendMessage({ ...target(account), mailbox, raw: rawMail(subject) });
  if (uid === undefined) throw new Error('Dovecot did not report the appended UID');
  return uid;
}

function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => (state.value = value)).finally(() => (state.settled = true));
  return state;
}

// Freezes (SIGSTOP) the per-session imap processes of our own Dovecot, to play a server that hangs mid-session.
function pauseImapSessions(): () => void {
  const masterPid = Number(readFileSync(path.join(server.dir, 'run', 'master.pid'), 'utf8').trim());
  const sessions: number[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === masterPid && name === 'imap') sessions.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  for (const pid of sessions) process.kill(pid, 'SIGSTOP');
  return () => sessions.forEach((pid) => process.kill(pid, 'SIGCONT'));
}

describe('imapflow mailbox driver against a real Dovecot', () => {
  it('lists new messages in UID order and fetches exactly the appended bytes without marking them seen', async () => {
    const first = await append('list', 'first problem');
    const second = await append('list', 'second problem');
    const mailbox = mailboxFor('list');

    const { uidValidity } = await mailbox.open({});
    expect(uidValidity).toMatch(/^\d+$/);

    const uids = await mailbox.listNewUids({ afterUid: 0 });
    expect(uids).toEqual([
      { uid: first, size: rawMail('first problem').length },
      { uid: second, size: rawMail('second problem').length },
    ]);

    const fetched = await mailbox.fetchMany({ uids: [second, first, second + 1000] });
    expect(fetched.map((message) => message.uid)).toEqual([first, second]);
    expect(fetched[0]?.source.equals(rawMail('first problem'))).toBe(true);
    expect(fetched[1]?.source.equals(rawMail('second problem'))).toBe(true);

    const flags = await listMessages(target('list'));
    expect(flags.every((message) => !message.flags.includes('\\Seen'))).toBe(true);
  });

  it('never lists a UID at or below afterUid, even when afterUid is the newest message', async () => {
    const uids = [await append('after', 'a'), await append('after', 'b'), await append('after', 'c')];
    const newest = uids[2]!;
    const mailbox = mailboxFor('after');
    await mailbox.open({});

    // IMAP answers `N:*` with the newest message even when its UID is below N.
    expect(await mailbox.listNewUids({ afterUid: newest })).toEqual([]);
    expect(await mailbox.listNewUids({ afterUid: newest + 100 })).toEqual([]);
    expect((await mailbox.listNewUids({ afterUid: uids[0]! })).map((m) => m.uid)).toEqual(uids.slice(1));
    // A window of UIDs: only those in it, however far it reaches past the newest.
    expect((await mailbox.listNewUids({ afterUid: uids[0]!, throughUid: uids[1]! })).map((m) => m.uid)).toEqual([uids[1]]);
    expect((await mailbox.listNewUids({ afterUid: 0, throughUid: newest + 1000 })).map((m) => m.uid)).toEqual(uids);
    expect(await mailbox.listNewUids({ afterUid: newest, throughUid: newest + 1000 })).toEqual([]);
  });

  it('moves processed messages into the processed folder, creating it on first use', async () => {
    const first = await append('move', 'move me');
    const second = await append('move', 'and me');
    const kept = await append('move', 'leave me');
    const mailbox = mailboxFor('move', { processedFolder: 'Ticketd/Processed' });
    await mailbox.open({});

    await mailbox.markProcessed({ uids: [first, second] });

    expect((await listMessages(target('move'))).map((m) => m.uid)).toEqual([kept]);
    expect(await listMessages({ ...target('move'), mailbox: 'Ticketd/Processed' })).toHaveLength(2);
    expect((await mailbox.listNewUids({ afterUid: 0 })).map((m) => m.uid)).toEqual([kept]);
  });

  it('flags a processed message \\Seen and $Ticketd when no processed folder is configured', async () => {
    const handled = await append('flag', 'handled');
    const untouched = await append('flag', 'untouched');
    const mailbox = mailboxFor('flag');
    await mailbox.open({});

    await mailbox.markProcessed({ uids: [handled] });

    const messages = await listMessages(target('flag'));
    expect(messages.find((m) => m.uid === handled)?.flags).toEqual(expect.arrayContaining(['\\Seen', PROCESSED_KEYWORD]));
    expect(messages.find((m) => m.uid === untouched)?.flags).not.toContain('\\Seen');
  });

  it('wakes waitForNews when another connection appends a message', async () => {
    const mailbox = mailboxFor('idle');
    await mailbox.open({});
    expect(await mailbox.listNewUids({ afterUid: 0 })).toEqual([]);

    const waiting = watch(mailbox.waitForNews({ signal: new AbortController().signal }));
    expect(waiting.settled).toBe(false);
    const beforeAppend = performance.now();
    const uid = await append('idle', 'new mail while idling');

    await vi.waitFor(() => expect(waiting.settled).toBe(true), { timeout: 10_000 });
    // When the EXISTS came (the start of the message's stage trace): after the APPEND began, by now at the latest.
    expect(waiting.value?.heardAt).toBeGreaterThan(beforeAppend);
    expect(waiting.value?.heardAt).toBeLessThanOrEqual(performance.now());
    expect(await mailbox.listNewUids({ afterUid: 0 })).toEqual([{ uid, size: rawMail('new mail while idling').length }]);
  });

  it('remembers news reported during another command, so the next waitForNews returns at once', async () => {
    const old = await append('busy', 'old');
    const mailbox = mailboxFor('busy');
    await mailbox.open({});
    await mailbox.listNewUids({ afterUid: 0 });

    await append('busy', 'arrives while we work');
    // Dovecot reports the new EXISTS as part of the reply to this unrelated command.
    await mailbox.fetchMany({ uids: [old] });

    const askedAt = performance.now();
    const waiting = watch(mailbox.waitForNews({ signal: new AbortController().signal }));
    await vi.waitFor(() => expect(waiting.settled).toBe(true), { timeout: 2_000 });
    // The news is dated when the server reported it, during the fetch, not when it was asked for.
    expect(waiting.value?.heardAt).toBeLessThan(askedAt);
  });

  // The bench caught this: a mail APPENDed just before the safety-net poll broke IDLE waited 30 s for the next
  // poll. Dovecot ran the pass's first listing on its old view and reported the mail (EXISTS) only at the end of
  // that command; the pass's second listing (the UIDs above the first window) forgot that news, although it could
  // not list the mail, and the IDLE that followed had nothing new to say.
  it('keeps news reported during a pass\'s first listing for the next waitForNews, whatever a later listing covers', async () => {
    const mailbox = mailboxFor('race');
    await mailbox.open({});
    let cursor = 0;
    for (let round = 0; round < 3; round += 1) {
      const controller = new AbortController();
      const idle = mailbox.waitForNews({ signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await append('race', `arrives just before the poll ${round}`);
      controller.abort(); // the poll tick: the pass starts without news
      await idle;
      // One pass as syncMailbox lists: the window above the cursor, then (empty) everything above that window.
      let listed = await mailbox.listNewUids({ afterUid: cursor, throughUid: cursor + 2000, answersNews: true });
      if (listed.length === 0) listed = await mailbox.listNewUids({ afterUid: cursor + 2000 });
      if (listed.length === 0) {
        // Not in the view the listings saw: the news must wake the next wait at once, not the next poll.
        const waiting = watch(mailbox.waitForNews({ signal: AbortSignal.timeout(5_000) }));
        await vi.waitFor(() => expect(waiting.settled).toBe(true), { timeout: 6_000 });
        expect(waiting.value?.heardAt).toBeTypeOf('number');
        listed = await mailbox.listNewUids({ afterUid: cursor, answersNews: true });
      }
      expect(listed).toHaveLength(1);
      cursor = listed[0]!.uid;
    }
  });

  it('returns from waitForNews when the signal aborts or the idle period ends', async () => {
    const mailbox = mailboxFor('abort', { maxIdleMs: 300 });
    await mailbox.open({});

    const controller = new AbortController();
    const aborted = watch(mailbox.waitForNews({ signal: controller.signal }));
    controller.abort();
    await vi.waitFor(() => expect(aborted.settled).toBe(true));
    expect(aborted.value).toEqual({}); // woken without news: no moment to trace from

    const idleEnded = watch(mailbox.waitForNews({ signal: new AbortController().signal }));
    await vi.waitFor(() => expect(idleEnded.settled).toBe(true), { timeout: 5_000 });
    // The connection is still fine after a waitForNews round.
    expect(await mailbox.listNewUids({ afterUid: 0 })).toEqual([]);
  });

  it('fails with retryable errors while Dovecot is down, and after a restart a fresh open sees the same UIDVALIDITY and UIDs', async () => {
    const uid = await append('outage', 'before the outage');
    const mailbox = mailboxFor('outage');
    const before = await mailbox.open({});
    const idle = watch(mailbox.waitForNews({ signal: new AbortController().signal }));

    await server.stop();
    try {
      // The dropped connection ends the wait instead of leaving the caller idling forever.
      await vi.waitFor(() => expect(idle.settled).toBe(true), { timeout: 5_000 });
      await expect(mailbox.listNewUids({ afterUid: 0 })).rejects.toMatchObject({ code: 'mailbox.closed', retryable: true });
      await expect(mailbox.open({})).rejects.toMatchObject({ code: 'mailbox.connect_failed', retryable: true });
    } finally {
      await server.start();
    }

    const after = await mailbox.open({});
    expect(after.uidValidity).toBe(before.uidValidity);
    expect((await mailbox.listNewUids({ afterUid: 0 })).map((m) => m.uid)).toEqual([uid]);
  });

  it('turns a server that stops answering mid-session into a retryable timeout, and the next open works', async () => {
    const uid = await append('freeze', 'stuck');
    const mailbox = mailboxFor('freeze', { commandTimeoutMs: 1_000 });
    await mailbox.open({});

    const resume = pauseImapSessions();
    try {
      await expect(mailbox.listNewUids({ afterUid: 0 })).rejects.toMatchObject({ code: 'mailbox.timeout', retryable: true });
      // The timed-out connection was dropped rather than reused.
      await expect(mailbox.fetchMany({ uids: [uid] })).rejects.toMatchObject({ code: 'mailbox.closed', retryable: true });
    } finally {
      resume();
    }

    await mailbox.open({});
    expect(await mailbox.listNewUids({ afterUid: 0 })).toHaveLength(1);
  });

  it('turns a server that accepts connections but never greets into a retryable timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const mailbox = mailboxFor('auth', { port, connectTimeoutMs: 500 });
      await expect(mailbox.open({})).rejects.toMatchObject({ code: 'mailbox.timeout', retryable: true });
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('rejects a folder that does not exist with a non-retryable error', async () => {
    const mailbox = mailboxFor('missing', { mailbox: 'No/Such/Folder' });
    await expect(mailbox.open({})).rejects.toMatchObject({ code: 'mailbox.not_found', retryable: false });
  });

  // Last on purpose: after a failed login Dovecot delays the next login from the same IP by seconds
  // (anvil's auth penalty), which would slow every test after this one.
  it('rejects a wrong password with a non-retryable auth error', async () => {
    const mailbox = mailboxFor('auth', { password: 'wrong' });
    await expect(mailbox.open({})).rejects.toMatchObject({ code: 'mailbox.auth_failed', retryable: false });
  });
});
