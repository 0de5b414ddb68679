import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTicketdError } from '../../shared/errors.js';
import { CORPUS_DIR as corpus } from '../../../test/support/corpus.js';
import { parseRawMessage } from './parse.js';

// Real mail nobody here wrote (../shared/corpus): this file runs only where the corpus exists.

async function parseError(raw: unknown, timeoutMs?: number): Promise<unknown> {
  try {
    await parseRawMessage(raw as Buffer, timeoutMs === undefined ? {} : { timeoutMs });
  } catch (error) {
    return error;
  }
  throw new Error('expected parseRawMessage to fail');
}

describe('parseRawMessage on the real-mail corpus', () => {
  it('keeps the delivery-status part of a DSN as an attachment instead of merging it into the text', async () => {
    const message = await parseRawMessage(readFileSync(`${corpus}mime-mailparser/delivery-status.eml`));
    expect(message.contentType).toMatch(/^multipart\/report;.*report-type=delivery-status/);
    const status = message.attachments.find((attachment) => attachment.contentType === 'message/delivery-status');
    expect(status?.content?.toString('utf8')).toMatch(/Action: failed/i);
    expect(message.text).not.toMatch(/Action: failed/i);
    expect(message.attachments.map((attachment) => attachment.contentType)).toContain('message/rfc822');
  });

  it('gives intake.parse_timeout when parsing outlasts the timeout', async () => {
    const error = await parseError(readFileSync(`${corpus}mime-mailparser/outofmemory.eml`), 1);
    expect(isTicketdError(error) && error.code).toBe('intake.parse_timeout');
  });

  it('parses every message of the shared corpus or fails it with a coded error, never anything else', async () => {
    const files = corpusMessages(corpus);
    expect(files.length).toBeGreaterThanOrEqual(780);
    const outcomes = { parsed: 0, coded: 0, other: [] as string[] };
    for (const file of files) {
      try {
        const message = await parseRawMessage(readFileSync(file));
        if (typeof message.text !== 'string') outcomes.other.push(`${file}: text is ${typeof message.text}`);
        else outcomes.parsed += 1;
      } catch (error) {
        if (isTicketdError(error) && error.code.startsWith('intake.parse_')) outcomes.coded += 1;
        else outcomes.other.push(`${file}: ${String(error)}`);
      }
    }
    console.log(`corpus: ${files.length} messages, ${outcomes.parsed} parsed, ${outcomes.coded} coded errors`);
    expect(outcomes.other).toEqual([]);
    expect(outcomes.parsed + outcomes.coded).toBe(files.length);
  });
});

/** Every message file: *.eml, extensionless files and MimeKit's *.txt messages; not licences, READMEs, JSON or reply bodies. */
function corpusMessages(directory: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      if (!name.startsWith('replies-')) found.push(...corpusMessages(path));
    } else if (/^(LICENSE|README)/i.test(name) || /\.(json|md)$/i.test(name)) {
      continue;
    } else if (name.endsWith('.eml') || !name.includes('.') || directory.includes('mime-mimekit')) {
      found.push(path);
    }
  }
  return found;
}
