import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readMailShape } from './mail-shape.models.js';

const fixtures = new URL('../../../fixtures/mail/', import.meta.url);

describe('telling a mail from any other input', () => {
  it('takes every sample mail of the project for a mail', () => {
    const names = readdirSync(fixtures).filter((name) => name.endsWith('.eml'));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect({ name, ...readMailShape(readFileSync(new URL(name, fixtures))) }).toEqual({ name, mail: true });
  });

  it.each([
    ['a package.json', Buffer.from('{\n  "name": "ticketd",\n  "version": "0.1.0"\n}\n'), 'no header block'],
    ['a YAML config of key: value lines', Buffer.from('database:\n  path: ./data/ticketd.sqlite\nimap:\n  host: imap.example.com\n'), 'none of the fields of a mail'],
    ['a PNG image', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'NUL'],
    ['binary after a header-like line', Buffer.concat([Buffer.from('Subject: x\r\n'), Buffer.from([0, 1, 2])]), 'NUL'],
    ['an empty file', Buffer.alloc(0), 'empty'],
    ['a plain-text reply body', Buffer.from('Thanks, that fixed it.\n\nOn Monday Support wrote:\n> old text\n'), 'no header block'],
  ])('refuses %s, saying which rule it broke', (_name, input, reason) => {
    const shape = readMailShape(input);
    expect(shape.mail).toBe(false);
    expect(shape.mail ? '' : shape.reason).toContain(reason);
  });

  it('accepts a byte order mark and an mbox separator line before the headers, and a mail without a body', () => {
    expect(readMailShape(Buffer.from('\uFEFFFrom: <a@acme.test>\r\nSubject: hi\r\n\r\nbody'))).toEqual({ mail: true });
    expect(readMailShape(Buffer.from('From MAILER-DAEMON Thu Mar  8 17:40:36 2005\nReceived: from mx\nDate: Thu, 8 Mar 2005 17:40:36 -0500\n\nbody'))).toEqual({ mail: true });
    expect(readMailShape(Buffer.from('Subject: headers only\r\nFrom: a@acme.test\r\n'))).toEqual({ mail: true });
  });

  it('accepts a MIME entity whose only mail field is Content-Type or MIME-Version', () => {
    expect(readMailShape(Buffer.from('MIME-Version: 1.0\nContent-Type: multipart/related;\n  boundary="b"\n\n--b\n'))).toEqual({ mail: true });
  });

  it('looks at a bounded head only, however big the input and long its first line', () => {
    const huge = Buffer.alloc(50 * 1024 * 1024, 'a');
    const longHeader = Buffer.from(`Subject: s\nX-Long: ${' '.repeat(10_000_000)}\n\nbody`);
    // Only the check is timed: building the inputs above costs more than it on a loaded machine.
    const started = performance.now();
    expect(readMailShape(huge).mail).toBe(false);
    expect(readMailShape(longHeader).mail).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
