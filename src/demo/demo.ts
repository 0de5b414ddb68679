import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { asc } from 'drizzle-orm';
import { runCli } from '../cli/program.js';
import { configSchema } from '../config/config.schema.js';
import { startLocalStack } from '../devservers/local-stack.js';
import { inboundMessages } from '../modules/inbound-log/inbound-log.tables.js';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { createTicketsRepository } from '../modules/tickets/tickets.repository.js';
import { closeDatabase, openDatabase, type Db } from '../shared/db.js';
import { launchCommand, shippedLaunch } from '../shared/launch.js';
import { escapeForTerminal } from '../shared/terminal-text.js';
import { describeArrival, kindOfSentMail, productionDifferences, SENT_KIND_TITLES, type SentKind } from './demo-report.js';

/**
 * `npm run demo`: the whole loop on loopback. Starts Dovecot, an SMTP peer and a paging receiver, runs the
 * real daemon (`ticketd run`) as a child process, delivers the sample mails from fixtures/mail, replies to
 * the first confirmation, and prints what became of every mail, the tickets, the mail sent (confirmations,
 * replies and refusals apart) and the pages, then which production defaults the demo changed.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
// Subjects and names in what follows come from mail: shown, never obeyed by the terminal.
const say = (text: string) => process.stdout.write(`${escapeForTerminal(text)}\n`);
const messageIdOf = (raw: string) => /^Message-ID:[ \t]*<([^>\r\n]+)>/im.exec(raw)?.[1];

async function main(): Promise<number> {
  say('Starting Dovecot, the SMTP peer and the paging receiver on 127.0.0.1 ...');
  const stack = await startLocalStack();
  const configFile = await stack.writeConfig('ticketd.yaml', { log: { level: 'warn' } });
  say(`  IMAP ${stack.dovecot.port}, SMTP ${stack.smtp.port}, pager ${stack.receiver.url}; config ${configFile}\n`);

  const bin = `${root}bin/ticketd.js`;
  const command = launchCommand(shippedLaunch(bin), bin, ['run', '--config', configFile]);
  const daemon = spawn(process.execPath, command.args, { env: command.env, stdio: ['ignore', 'inherit', 'pipe'] });
  let daemonLog = '';
  daemon.stderr.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
  const db = openDatabase({ path: String(stack.config().database?.path) });
  const outcomes = async () => Object.values(await createInboundLogRepository({ db }).countByOutcome()).reduce((sum, count) => sum + count, 0);
  const settled = async (count: number) => {
    const deadline = Date.now() + 60_000;
    while ((await outcomes()) < count || (await createOutboxRepository({ db }).countPending()) > 0) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`the daemon did not handle ${count} messages in time. Its log:\n${daemonLog}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const delivered: Array<{ label: string; messageId: string | undefined }> = [];
  const deliver = async (label: string, raw: string, what = '') => {
    say(`deliver ${label}${what ? `: ${what}` : ''}`);
    delivered.push({ label, messageId: messageIdOf(raw) });
    await stack.deliver(raw);
  };

  try {
    const dir = `${root}fixtures/mail/`;
    const names = (await readdir(dir)).filter((name) => name.endsWith('.eml')).sort();
    for (const name of names) await deliver(name, await readFile(dir + name, 'utf8'));
    await settled(names.length);

    const confirmation = stack.smtp.received.find((mail) => mail.parsed.subject.includes('[CS-1]'));
    if (confirmation) {
      const thread = (from: string, messageId: string, body: string[]) =>
        [`From: ${from}`, 'To: help@cloudsoft.test', `Subject: ${confirmation.parsed.subject}`, `Message-ID: <${messageId}>`, `In-Reply-To: <${confirmation.parsed.messageId}>`, `References: <${confirmation.parsed.messageId}>`, '', ...body, ''].join('\r\n');
      await deliver('reply from alice@acme.test', thread('Alice Martin <alice@acme.test>', 'demo-reply@mail.acme.test', ['It started right after the 09:00 deploy.']), 'the customer answers the confirmation of CS-1');
      await settled(names.length + 1);
      await deliver('answer from erin@cloudsoft.test', thread('Erin Engineer <erin@cloudsoft.test>', 'demo-engineer@cloudsoft.test', ['We rolled back the 09:00 deploy; errors stopped at 09:41. Please confirm on your side.', '', '#assign me']), 'the on-call engineer answers with "#assign me" (relayed to alice without the command; acknowledges the page)');
      await settled(names.length + 2);
      await deliver('#note from erin@cloudsoft.test', thread('Erin Engineer <erin@cloudsoft.test>', 'demo-note@cloudsoft.test', ['#note rollback done by hand, write the post-mortem']), 'an internal note (kept for engineers, never sent to alice)');
      await settled(names.length + 3);
    }

    say('\n== Every delivered mail and its recorded outcome ==');
    for (const line of await arrivalLines(db, delivered)) say(`  ${line}`);
    const tally = Object.entries(await createInboundLogRepository({ db }).countByOutcome()).map(([outcome, count]) => `${outcome} ${count}`);
    say(`  (every message got one recorded outcome: ${tally.join(', ')})`);
    say('\n== Tickets (ticketd tickets list) ==');
    await runCli(['tickets', 'list', '--config', configFile]);
    say('\n== Quarantine (ticketd quarantine list) ==');
    await runCli(['quarantine', 'list', '--config', configFile]);
    await printSentMail(db, stack.smtp.received);
    say(`\n== Pages received by the PagerDuty stand-in (${stack.receiver.requests.length}) ==`);
    for (const request of stack.receiver.requests) {
      const event = request.body as { event_action: string; dedup_key: string; payload?: { severity: string; summary: string } };
      say(event.payload ? `  ${event.event_action} ${event.dedup_key} [${event.payload.severity}] ${event.payload.summary}` : `  ${event.event_action} ${event.dedup_key}`);
    }
    say('\n== The thread of CS-1 (ticketd tickets show CS-1) ==');
    await runCli(['tickets', 'show', 'CS-1', '--config', configFile]);
    printProductionDifferences(stack.config());
    return 0;
  } finally {
    await closeDatabase(db);
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
    await stack.close();
  }
}

/** One line per delivered mail: its recorded outcome (found by Message-ID), the ticket, and why. */
async function arrivalLines(db: Db, delivered: Array<{ label: string; messageId: string | undefined }>): Promise<string[]> {
  const rows = await db.select().from(inboundMessages).orderBy(asc(inboundMessages.id));
  const tickets = createTicketsRepository({ db });
  const lines: string[] = [];
  for (const { label, messageId } of delivered) {
    const row = rows.find((candidate) => candidate.messageId === messageId);
    const ticket = row?.ticketId ? await tickets.findById(row.ticketId) : undefined;
    lines.push(describeArrival(label, row && { outcome: row.outcome, reason: row.reason, ...(ticket ? { ticket: { ref: ticket.ref, severity: ticket.severity, priority: ticket.priority } } : {}) }));
  }
  return lines;
}

/** The SMTP peer's mail, by what it is: the outbox row each was sent from says (confirmation, relay, refusal, ...). */
async function printSentMail(db: Db, received: Array<{ envelopeTo: string[]; parsed: { subject: string; messageId?: string; inReplyTo?: string } }>): Promise<void> {
  const kinds = new Map((await createOutboxRepository({ db }).list()).flatMap((item) => (item.payload.kind === 'email' ? [[item.payload.mail.messageId, kindOfSentMail(item.effectKey)] as const] : [])));
  say(`\n== Mail received by the SMTP peer (${received.length}) ==`);
  for (const kind of Object.keys(SENT_KIND_TITLES) as SentKind[]) {
    const mails = received.filter((mail) => (kinds.get(mail.parsed.messageId ?? '') ?? 'other') === kind);
    if (mails.length === 0) continue;
    say(`  ${SENT_KIND_TITLES[kind]} (${mails.length}):`);
    for (const mail of mails) say(`    to ${mail.envelopeTo.join(', ')}: "${mail.parsed.subject}" (In-Reply-To <${mail.parsed.inReplyTo}>)`);
  }
}

function printProductionDifferences(demo: Record<string, Record<string, unknown>>): void {
  const defaults = configSchema.parse({ imap: { host: 'imap.invalid', user: 'help' }, smtp: { host: 'smtp.invalid' }, support: { address: 'help@example.com' } });
  const settings = configSchema.parse(demo);
  say('\n== What this demo changed from the production defaults ==');
  for (const line of productionDifferences({ demo: settings, defaults })) say(`  - ${line}`);
  say('  - Also local only: IMAP and SMTP without TLS on 127.0.0.1, and an HTTP receiver standing in for PagerDuty.');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${escapeForTerminal(error instanceof Error ? error.message : String(error))}\n`);
    process.exit(1);
  },
);
