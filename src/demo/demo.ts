import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runCli } from '../cli/program.js';
import { startLocalStack } from '../devservers/local-stack.js';
import { createInboundLogRepository } from '../modules/inbound-log/inbound-log.repository.js';
import { createOutboxRepository } from '../modules/outbox/outbox.repository.js';
import { closeDatabase, openDatabase } from '../shared/db.js';

/**
 * `npm run demo`: the whole loop on loopback. Starts Dovecot, an SMTP peer and a paging receiver, runs the
 * real daemon (`ticketd run`) as a child process, delivers the sample mails from fixtures/mail, replies to
 * the first confirmation, and prints the tickets, the confirmations and the pages that came out.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  say('Starting Dovecot, the SMTP peer and the paging receiver on 127.0.0.1 ...');
  const stack = await startLocalStack();
  const configFile = await stack.writeConfig('ticketd.yaml', { log: { level: 'warn' } });
  say(`  IMAP ${stack.dovecot.port}, SMTP ${stack.smtp.port}, pager ${stack.receiver.url}; config ${configFile}\n`);

  const daemon = spawn(process.execPath, [`${root}bin/ticketd.js`, 'run', '--config', configFile], { stdio: ['ignore', 'inherit', 'pipe'] });
  let daemonLog = '';
  daemon.stderr.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
  const db = openDatabase({ path: String(stack.config().database?.path) });
  const outcomes = () => Object.values(createInboundLogRepository({ db }).countByOutcome()).reduce((sum, count) => sum + count, 0);
  const settled = async (count: number) => {
    const deadline = Date.now() + 60_000;
    while (outcomes() < count || createOutboxRepository({ db }).countPending() > 0) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`the daemon did not handle ${count} messages in time. Its log:\n${daemonLog}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  try {
    const dir = `${root}fixtures/mail/`;
    const names = (await readdir(dir)).filter((name) => name.endsWith('.eml')).sort();
    for (const name of names) {
      say(`deliver ${name}`);
      await stack.deliver(await readFile(dir + name));
    }
    await settled(names.length);

    const confirmation = stack.smtp.received.find((mail) => mail.parsed.subject.includes('[CS-1]'));
    if (confirmation) {
      say(`deliver a reply from alice@acme.test to the confirmation of CS-1 (In-Reply-To: <${confirmation.parsed.messageId}>)`);
      await stack.deliver(
        ['From: Alice Martin <alice@acme.test>', 'To: help@cloudsoft.test', `Subject: ${confirmation.parsed.subject}`, 'Message-ID: <demo-reply@mail.acme.test>', `In-Reply-To: <${confirmation.parsed.messageId}>`, `References: <${confirmation.parsed.messageId}>`, '', 'It started right after the 09:00 deploy.', ''].join('\r\n'),
      );
      await settled(names.length + 1);
      say('deliver the on-call engineer\'s answer from erin@cloudsoft.test with "#assign me" (relayed to alice without the command, acknowledges the page)');
      await stack.deliver(
        ['From: Erin Engineer <erin@cloudsoft.test>', 'To: help@cloudsoft.test', `Subject: ${confirmation.parsed.subject}`, 'Message-ID: <demo-engineer@cloudsoft.test>', `In-Reply-To: <${confirmation.parsed.messageId}>`, `References: <${confirmation.parsed.messageId}>`, '', 'We rolled back the 09:00 deploy; errors stopped at 09:41. Please confirm on your side.', '', '#assign me', ''].join('\r\n'),
      );
      await settled(names.length + 2);
      say('deliver an internal note from erin@cloudsoft.test ("#note ...": stored on the ticket for engineers, never sent to alice)');
      await stack.deliver(
        ['From: Erin Engineer <erin@cloudsoft.test>', 'To: help@cloudsoft.test', `Subject: ${confirmation.parsed.subject}`, 'Message-ID: <demo-note@cloudsoft.test>', `In-Reply-To: <${confirmation.parsed.messageId}>`, `References: <${confirmation.parsed.messageId}>`, '', '#note rollback done by hand, write the post-mortem', ''].join('\r\n'),
      );
      await settled(names.length + 3);
    }

    const tally = Object.entries(createInboundLogRepository({ db }).countByOutcome()).map(([outcome, count]) => `${outcome} ${count}`);
    say(`\n== Every message got one recorded outcome: ${tally.join(', ')} ==`);
    say('\n== Tickets (ticketd tickets list) ==');
    await runCli(['tickets', 'list', '--config', configFile]);
    say('\n== Quarantine (ticketd quarantine list) ==');
    await runCli(['quarantine', 'list', '--config', configFile]);
    say(`\n== Mail received by the SMTP peer: confirmations and replies (${stack.smtp.received.length}) ==`);
    for (const mail of stack.smtp.received) say(`  to ${mail.envelopeTo.join(', ')}: "${mail.parsed.subject}" (In-Reply-To <${mail.parsed.inReplyTo}>)`);
    say(`\n== Pages received by the PagerDuty stand-in (${stack.receiver.requests.length}) ==`);
    for (const request of stack.receiver.requests) {
      const event = request.body as { event_action: string; dedup_key: string; payload?: { severity: string; summary: string } };
      say(event.payload ? `  ${event.event_action} ${event.dedup_key} [${event.payload.severity}] ${event.payload.summary}` : `  ${event.event_action} ${event.dedup_key}`);
    }
    say('\n== The thread of CS-1 (ticketd tickets show CS-1) ==');
    await runCli(['tickets', 'show', 'CS-1', '--config', configFile]);
    return 0;
  } finally {
    closeDatabase(db);
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
    await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
