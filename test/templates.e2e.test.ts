import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../src/devservers/local-stack.js';
import { countRows } from './support/exactly-once.js';
import { createTestPostgresDatabase, testDialect } from './support/test-database.js';
import { startTestStack } from './support/test-stack.js';
import { runTicketd, startDaemonProcess, type DaemonProcess } from './support/ticketd-process.js';

const fixture = (name: string) => readFile(new URL(`../fixtures/mail/${name}`, import.meta.url));

describe("operators' mail templates, end to end", () => {
  let stack: LocalStack;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await stack?.close();
  });

  it("sends the confirmation as text and HTML from the operator's folder, the other mails from the built-in templates", async () => {
    const dir = path.join(stack.dir, 'operator-templates');
    await mkdir(dir);
    await writeFile(path.join(dir, 'confirmation.txt'), 'Guten Tag{{#customerName}} {{customerName}}{{/customerName}},\n\nIhr Ticket {{ref}} ist eröffnet ({{priority}}).\n');
    await writeFile(path.join(dir, 'confirmation.html'), '<p>Guten Tag {{customerName}},</p>\n<p>Ihr Ticket <b>{{ref}}</b> ist eröffnet: {{subject}}</p>\n');
    const configFile = await stack.writeConfig('ticketd.yaml', { templates: { dir } });
    daemon = startDaemonProcess(configFile);

    await stack.deliver(await fixture('01-sev1-outage.eml'));
    await stack.deliver(await fixture('05-unknown-sender.eml'));
    const mails = await stack.smtp.waitFor(2, 30_000);
    const confirmation = mails.find((mail) => mail.envelopeTo.includes('alice@acme.test'));
    const refusal = mails.find((mail) => !mail.envelopeTo.includes('alice@acme.test'));

    expect(confirmation?.parsed.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(confirmation?.parsed.text).toBe('Guten Tag Alice Martin,\n\nIhr Ticket CS-1 ist eröffnet (Urgent).\n');
    expect(confirmation?.parsed.html).toContain('<p>Ihr Ticket <b>CS-1</b> ist eröffnet: ');
    // Threading and the RFC 3834 markers are not the template's business: they stay.
    expect(confirmation?.parsed.subject).toContain('[CS-1]');
    expect(confirmation?.parsed.inReplyTo).toBe('a1b2c3d4.outage@mail.acme.test');
    expect(confirmation?.parsed.headers['auto-submitted']).toBe('auto-replied');
    // The refusal has no operator file: built-in text and HTML.
    expect(refusal?.parsed.text).toContain('is not in one of the approved customer domains');
    expect(refusal?.parsed.html).toContain('is not in one of the approved customer domains');
  });

  it('refuses to start with a broken template, naming the file, the line and the variable, and touches no mail', async () => {
    const dir = path.join(stack.dir, 'broken-templates');
    await mkdir(dir);
    await writeFile(path.join(dir, 'relay.txt'), '{{text}}\n-- \n{{engineerSignature}}\n');
    // A database of its own, in the folder `broken` (on PostgreSQL an empty database, the stores in that folder).
    const url = testDialect() === 'postgresql' ? await createTestPostgresDatabase() : undefined;
    const own: Record<string, Record<string, unknown>> = url ? { database: { url }, storage: { path: path.join(stack.dir, 'broken', 'store') } } : { database: { path: path.join(stack.dir, 'broken', 'ticketd.sqlite') } };
    const configFile = await stack.writeConfig('broken.yaml', { ...own, templates: { dir } });

    const check = await runTicketd(['config', 'check', '--config', configFile]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`templates.dir: ${path.join(dir, 'relay.txt')}: line 3: unknown variable "engineerSignature"`);

    const run = await runTicketd(['run', '--config', configFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path.join(dir, 'relay.txt')}: line 3: unknown variable "engineerSignature"`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Checked before anything opens: no database was created.
    expect(existsSync(path.join(stack.dir, 'broken'))).toBe(false);
    if (url) expect(await countRows({ url }, "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')")).toBe(0);
  });
});
